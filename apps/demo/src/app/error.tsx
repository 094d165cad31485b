"use client";

/** Any error from the API while rendering a page, as a readable message. */
export default function ErrorPage({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <main className="narrow">
      <h1>Something went wrong</h1>
      <div role="alert" className="notice error">
        <strong>Something went wrong.</strong> {error.message}
      </div>
      <button onClick={reset}>Try again</button> <a href="/">Back to the start</a>
    </main>
  );
}
