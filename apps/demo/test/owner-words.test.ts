import { catalog } from "@usagekit/db/catalog";
import type { Feature } from "@usagekit/db/catalog";
import { launchChromium } from "./chromium";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { serviceQuery } from "./demo-server";
import { signIn } from "./session";

const baseUrl = inject("baseUrl");
const owner = demoUsers.find((u) => u.role === "admin")!;
const ana = demoUsers.find((u) => u.name === "Ana")!;
const dev = demoUsers.find((u) => u.name === "Dev")!;
/** Worked out here: 8144 → "8,144"; a month as "Dec 2026"; a local date as "24 Dec". */
const count = (n: number) => new Intl.NumberFormat("en-US").format(n);
const monthName = (month: string) =>
  new Date(`${month}-15T00:00:00Z`).toLocaleDateString("en-GB", {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
const dayName = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });

describe("Insights and History in people's words", () => {
  let browser: Browser;
  const pageAs = async (userId: string, path: string, width: number): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height: 1000 } });
    const [name, value] = (await signIn(baseUrl, userId)).split("=") as [string, string];
    await context.addCookies([{ name, value, url: baseUrl }]);
    const page = await context.newPage();
    await page.goto(`${baseUrl}${path}`);
    return page;
  };
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it("marks this month as so far, formats numbers, names chart units and ranks candidates by worth", async () => {
    // "This month" by the demo's clock, never the test's: Dev lives in UTC.
    const { month } = await serviceQuery<{ month: string }>(baseUrl, "usage.getCurrentUsage", {
      userId: dev.id,
    });
    const page = await pageAs(owner.id, "/insights", 1280);
    expect(await page.locator("h1").textContent()).toBe(`Insights · ${monthName(month)} (so far)`);
    const adoption = await serviceQuery<{ tiers: { tier: string; activeUsers: number }[] }>(
      baseUrl,
      "analytics.featureAdoption",
      { month },
    );
    const label = { free: "Free", plus: "Plus", pro: "Pro" } as Record<string, string>;
    for (const t of adoption.tiers)
      expect(await page.getByTestId(`active-${t.tier}`).textContent()).toBe(
        `${label[t.tier]}: ${count(t.activeUsers)} active `,
      );
    // Feature value: each share beside the size of its group (plans with active learners).
    for (const t of adoption.tiers.filter((t) => t.activeUsers > 0))
      expect(
        await page
          .getByTestId("feature-value")
          .locator(`td[data-tier="${t.tier}"][data-feature="conversations"]`)
          .textContent(),
      ).toMatch(new RegExp(`^(not used|\\d+% of ${count(t.activeUsers)} learners)`));
    // Every chart's value axis names its unit and the month with its year (a month nobody was
    // active in yet, as just after midnight on the 1st, draws no chart).
    const active = adoption.tiers.reduce((n, t) => n + t.activeUsers, 0);
    const charts = ["chart-adoption", "chart-segments", "chart-dropoff", "chart-quiet"];
    for (const chart of active > 0 ? charts : []) {
      const axis = page.getByTestId(chart).locator(".recharts-label");
      await expect.poll(() => axis.allTextContents()).toHaveLength(1);
      expect((await axis.allTextContents())[0]).toContain(` · ${monthName(month)}`);
    }
    // Upgrade candidates: the API's order (most worth first), worth and "will hit the limit".
    type Candidate = {
      userId: string;
      worth: string;
      runsOut: { feature: string; reachesLimitOn: string }[];
    };
    const { candidates } = await serviceQuery<{ candidates: Candidate[] }>(
      baseUrl,
      "analytics.upgradeCandidates",
      { month, limit: 10 },
    );
    const rows = page.getByTestId("candidates").locator("tbody tr");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-user")))).toEqual(
      candidates.map((c) => c.userId),
    );
    const worths = candidates.map((c) => Number(c.worth));
    expect(worths).toEqual([...worths].sort((a, b) => b - a));
    for (const [k, c] of candidates.entries()) {
      const runsOut = await rows.nth(k).getByTestId("runs-out").textContent();
      expect(runsOut).toBe(
        c.runsOut
          .map(
            (r) =>
              `${catalog.features[r.feature as Feature].label}: will hit the limit on ${dayName(r.reachesLimitOn)}`,
          )
          .join("; ") || "—",
      );
    }
    await page.context().close();
  });

  it("stacks the history table on a phone: every cell in view, none hidden", async () => {
    const page = await pageAs(ana.id, "/history", 390);
    const cells = page.getByTestId("history").locator("tbody td");
    await expect.poll(() => cells.count()).toBeGreaterThan(0);
    const outside = await cells.evaluateAll((tds) =>
      tds.flatMap((td) => {
        const box = td.getBoundingClientRect();
        const hidden = box.width === 0 || getComputedStyle(td).display === "none";
        return hidden || box.left < 0 || box.right > document.documentElement.clientWidth
          ? [`${td.getAttribute("data-label")}: ${box.left}–${box.right}`]
          : [];
      }),
    );
    expect(outside).toEqual([]);
    // Nor does the page scroll sideways.
    expect(
      await page.evaluate(
        () => document.documentElement.scrollWidth <= document.documentElement.clientWidth,
      ),
    ).toBe(true);
    // Each cell says what it is, as its column would.
    expect(await cells.first().evaluate((td) => getComputedStyle(td, "::before").content)).toBe(
      '"Month"',
    );
    await page.context().close();
  });
});
