import Link from "next/link";

/** Any unknown address: said in words, with the way back. */
export default function NotFound() {
  return (
    <>
      <header className="nav">
        <strong>usagekit</strong>
        <Link href="/">Home</Link>
        <Link href="/sign-in">Sign in</Link>
      </header>
      <main className="narrow">
        <h1>Page not found</h1>
        <p>There is nothing at this address. The dashboard and the history are a sign-in away.</p>
        <p>
          <Link href="/">Back to the start</Link>
        </p>
      </main>
    </>
  );
}
