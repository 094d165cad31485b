import Link from "next/link";
import type { DemoUser } from "~/lib/demo-users";

export function Nav({ user }: { user: DemoUser }) {
  return (
    <header className="nav">
      <strong>usagekit</strong>
      {user.role === "admin" ? (
        <Link href="/insights">Insights</Link>
      ) : (
        <>
          <Link href="/dashboard">Dashboard</Link>
          <Link href="/history">History</Link>
        </>
      )}
      <span className="spacer" />
      <span className="muted">
        {user.name} · {user.timezone}
      </span>
      <form action="/api/sign-out" method="post">
        <button type="submit" className="link">
          Sign out
        </button>
      </form>
    </header>
  );
}
