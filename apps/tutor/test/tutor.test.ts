import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { launchChromium } from "../../demo/test/chromium";
import type { Browser } from "playwright-core";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AppRouter } from "../src/server/root";

const servers = inject("servers");
const shots = join(import.meta.dirname, "..", "..", "..", "artifacts", "screenshots");

/** Signs in through the tutor's own form endpoint; its session cookie. */
async function signIn(baseUrl: string, name: string) {
  const response = await fetch(`${baseUrl}/api/sign-in`, {
    method: "POST",
    body: new URLSearchParams({ name }),
    redirect: "manual",
  });
  expect(response.status).toBe(303);
  return response.headers.get("set-cookie")!.split(";")[0]!;
}

const clientFor = (baseUrl: string, cookie: string) =>
  createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers: { cookie } })],
  });

const unique = () => Math.random().toString(36).slice(2, 10);

describe.each(servers.map((s) => [s.kind, s] as const))(
  "the tutor host app on %s",
  (_, { baseUrl, order }) => {
    let browser: Browser;
    beforeAll(async () => {
      mkdirSync(shots, { recursive: true });
      browser = await launchChromium();
    });
    afterAll(() => browser?.close());

    it("migrated its own tables and usagekit's, each in its own migrations table", async () => {
      const health = (await (await fetch(`${baseUrl}/api/health`)).json()) as {
        host: number;
        usagekit: number;
        tables: string[];
      };
      expect(health.host).toBe(1);
      // Every migration of usagekit's own, applied once.
      const own = readdirSync(join(import.meta.dirname, "../../../packages/db/drizzle"));
      expect(health.usagekit).toBe(own.filter((f) => f.endsWith(".sql")).length);
      // The host's own `users` beside usagekit's: no clash.
      expect(health.tables).toEqual(
        expect.arrayContaining(["public.users", "public.lessons", "usagekit.users"]),
      );
      expect(health.tables.filter((t) => t.startsWith("public."))).toEqual([
        "public.lessons",
        "public.users",
      ]);
      expect(order).toMatch(/first$/);
    });

    it("records lessons in the host's transaction; at the limit the refusal keeps its data", async () => {
      const name = `ana_${unique()}`;
      const client = clientFor(baseUrl, await signIn(baseUrl, name));
      for (let i = 0; i < 20; i++) await client.lessons.start.mutate({ topic: `lesson ${i}` });
      const error = await client.lessons.start.mutate({ topic: "one too many" }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCClientError);
      const data = (error as TRPCClientError<AppRouter>).data;
      expect(data?.code).toBe("FORBIDDEN");
      expect(data?.limitExceeded).toEqual({
        feature: "conversations",
        used: 20,
        limit: 20,
        requested: 1,
      });
      // The host's transaction went on after the refusal: the lesson is kept as refused.
      const lessons = await client.lessons.list.query();
      expect(lessons).toHaveLength(21);
      expect(lessons[0]).toMatchObject({ topic: "one too many", status: "refused" });
      expect(lessons.filter((l) => l.status === "started")).toHaveLength(20);
      // usagekit under the host's text id, through the mounted router.
      const usage = await client.usage.getCurrentUsage.query({});
      expect(usage.conversations).toBe(20);
      expect(usage.features.conversations).toEqual({
        used: 20,
        limit: 20,
        remaining: 0,
        held: 0,
        rolledOver: 0,
        granted: 0,
      });
      const forbidden = await client.usage.getCurrentUsage
        .query({ userId: "user_someone_else" })
        .then(
          () => null,
          (e: unknown) => (e as TRPCClientError<AppRouter>).data?.code,
        );
      expect(forbidden).toBe("FORBIDDEN");
    });

    it("shows the refusal in the browser with the plan's numbers", async () => {
      const name = `ben_${unique()}`;
      const cookie = await signIn(baseUrl, name);
      const client = clientFor(baseUrl, cookie);
      for (let i = 0; i < 19; i++) await client.lessons.start.mutate({ topic: `warm-up ${i}` });
      const context = await browser.newContext({ viewport: { width: 390, height: 900 } });
      const [cookieName, cookieValue] = cookie.split("=") as [string, string];
      await context.addCookies([{ name: cookieName, value: cookieValue, url: baseUrl }]);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(baseUrl);
      const meter = page.getByTestId("usage-conversations");
      await meter.waitFor();
      expect(await meter.textContent()).toContain("1 of 20 conversations left");
      const start = page.getByRole("button", { name: "Start a lesson" });
      await start.click();
      await expect.poll(() => meter.getAttribute("data-state")).toBe("full");
      expect(await meter.textContent()).toContain("Limit reached");
      await start.click();
      const prompt = page.getByTestId("limit-exceeded");
      await prompt.waitFor();
      expect(await prompt.getAttribute("role")).toBe("alert");
      expect(await prompt.textContent()).toContain(
        "Your Free plan includes 20 conversations a month and you have used 20",
      );
      expect(await prompt.textContent()).toContain("Nothing was recorded");
      await expect
        .poll(() => page.getByTestId("lessons").locator('[data-status="refused"]').count())
        .toBe(1);
      await page.screenshot({ path: join(shots, `tutor-refusal-${order}.png`), fullPage: true });
      expect(errors).toEqual([]);
      await context.close();
    });
  },
);
