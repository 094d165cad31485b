import Link from "next/link";
import type { DemoUser } from "~/lib/demo-users";
import { seedStatus } from "~/server/seed-status";
import { Preparing } from "./preparing";

/** The signed-in pages' header (rendered per request), with the "preparing data" banner under it. */
export function Nav({ user }: { user: DemoUser }) {
  return (
    <>
      <header className="nav">
        <strong>usagekit</strong>
        {user.role === "admin" ? (
          <>
            <Link href="/insights">Insights</Link>
            <Link href="/insights/pricing-lab">Pricing lab</Link>
          </>
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
      <Preparing initial={{ ...seedStatus() }} />
    </>
  );
}
