import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { generatedId } from "../src/lib/population";
import { launchChromium } from "./chromium";
import { serviceQuery, startDemo } from "./demo-server";
import type { DemoServer } from "./demo-server";

/**
 * Late on a day: every generated event of the day (all before 23:05, see population.ts) is
 * already in the past, so two starts at slightly different moments write the same data.
 */
const env = { DEMO_NOW: "2026-06-15T23:10:00Z", DEMO_POPULATION: "150" };
const SIZE = Number(env.DEMO_POPULATION);
const olivia = demoUsers.find((u) => u.role === "admin")!;
const folders: string[] = [];
const servers: DemoServer[] = [];
const freshFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "usagekit-startup-"));
  folders.push(dir);
  return dir;
};
const start = (dir: string) => {
  const server = startDemo(dir, env);
  servers.push(server);
  return server;
};
const status = async (server: DemoServer) =>
  (await (await fetch(`${server.baseUrl}/api/demo-status`)).json()) as {
    phase: string;
    day: number;
    days: number;
  };

/** What each generated learner's lifetime and bills say, through the service API. */
async function snapshot(server: DemoServer) {
  const get = (procedure: string, userId: string) =>
    serviceQuery<Record<string, unknown>>(server.baseUrl, `usage.${procedure}`, { userId });
  const rows = [];
  for (let i = 0; i < SIZE; i++) {
    const id = generatedId(i);
    const { createdAt: _c, updatedAt: _u, ...lifetime } = await get("getLifetimeStats", id);
    rows.push({ id, lifetime, bills: await get("getBillingHistory", id) });
  }
  return rows;
}

describe("the demo's first start", () => {
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  let uninterrupted: Awaited<ReturnType<typeof snapshot>>;

  it("answers within seconds, says it is preparing data, and refreshes when it is done", async () => {
    const started = performance.now();
    const server = start(freshFolder());
    await server.printed("usagekit demo on", 60_000);
    let answered = false;
    while (!answered) {
      answered = await fetch(`${server.baseUrl}/sign-in`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (!answered) await new Promise((r) => setTimeout(r, 100));
    }
    const firstAnswerMs = performance.now() - started;
    console.log(`the demo's first answer came ${Math.round(firstAnswerMs)} ms after its start`);
    expect(firstAnswerMs).toBeLessThan(20_000);
    expect((await status(server)).phase).not.toBe("ready");

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${server.baseUrl}/sign-in`);
      await page.getByRole("button", { name: new RegExp(`^${olivia.name}`) }).click();
      await page.waitForURL(/\/insights$/);
      const banner = page.getByTestId("preparing");
      expect(await banner.getAttribute("role")).toBe("status");
      expect(await banner.textContent()).toContain("Preparing demo data");
      // When the seed is done the banner goes and the page shows the population's numbers.
      await server.printed("demo data ready", 240_000);
      await expect.poll(() => banner.count(), { timeout: 15_000 }).toBe(0);
      await page.getByTestId("feature-value").waitFor();
    } finally {
      await browser.close();
    }
    expect((await status(server)).phase).toBe("ready");
    uninterrupted = await snapshot(server);
    expect(uninterrupted.some((r) => (r.lifetime.totalConversations as number) > 0)).toBe(true);
    await server.stop();
  });

  it("resumes a seed killed midway and writes exactly what an uninterrupted one wrote", async () => {
    const dir = freshFolder();
    const first = start(dir);
    await first.printed("usagekit demo on", 60_000);
    // Killed (SIGKILL, no goodbye) in the middle of the population's year.
    await expect
      .poll(
        () =>
          status(first).then(
            (s) => (s.phase === "population" ? s.day : 0),
            () => 0,
          ),
        {
          timeout: 240_000,
          interval: 100,
        },
      )
      .toBeGreaterThan(120);
    await first.stop("SIGKILL");

    const second = start(dir);
    await second.printed("demo data ready", 240_000);
    expect(await snapshot(second)).toEqual(uninterrupted);
    await second.stop();
  });
});
