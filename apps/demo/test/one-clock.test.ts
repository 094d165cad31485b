import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { startDemo } from "./demo-server";
import { signIn } from "./session";

/**
 * How far in this server's future a session may say it was issued (`SESSION_CLOCK_SKEW_SECONDS`,
 * 60 by default), and a wait longer than that: the bug this guards made a page's clock lag the
 * sign-in's by as long as the page waited for its first visit.
 */
const SKEW_SECONDS = 2;
const WAIT_MS = 5_000;
const learner = demoUsers.find((u) => u.role === "learner")!;

// A pinned clock (DEMO_NOW) is one clock: every route and page reads the same time, however long
// after the start each is first visited. (The pinned-date runs leave this out: it pins its own.)
it("keeps the sessions its sign-in signed valid on a page first visited later than the skew allowed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "usagekit-clock-"));
  const server = startDemo(dir, {
    DEMO_NOW: "2026-12-01T00:30:00Z",
    DEMO_POPULATION: "20",
    SESSION_CLOCK_SKEW_SECONDS: String(SKEW_SECONDS),
  });
  try {
    await server.printed("usagekit demo on", 60_000);
    const early = await signIn(server.baseUrl, learner.id);
    await new Promise((r) => setTimeout(r, WAIT_MS));
    const late = await signIn(server.baseUrl, learner.id);
    for (const cookie of [late, early]) {
      const page = await fetch(`${server.baseUrl}/dashboard`, {
        headers: { cookie },
        redirect: "manual",
      });
      expect(page.headers.get("location")).toBeNull();
      expect(page.status).toBe(200);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
