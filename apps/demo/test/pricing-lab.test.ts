import { launchChromium } from "./chromium";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { serviceQuery } from "./demo-server";
import { signIn } from "./session";

const baseUrl = inject("baseUrl");
const owner = demoUsers.find((u) => u.role === "admin")!;
const dev = demoUsers.find((u) => u.name === "Dev")!;

interface Figures {
  learners: number;
  refusedLearners: Record<string, number>;
  refusedEvents: number;
  subscriptionRevenue: string;
  overageMoney: string;
  upgradeCandidates: number;
}
interface Simulation {
  months: { month: string; tiers: { tier: string; actual: Figures; draft: Figures }[] }[];
}

/** Worked out here, not with the demo's helpers: 8144 → "8,144", "1234.5" → "$1,234.50". */
const count = (n: number) => new Intl.NumberFormat("en-US").format(n);
const dollars = (s: string) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(Number(s));
const cents = (s: string) => Math.round(Number(s) * 100);

/** The table's cells as the page shows them: `tier measure side` → text. */
async function shown(page: Page, month: string) {
  const cells = page.getByTestId(`lab-month-${month}`).locator("tr[data-measure] td");
  return Object.fromEntries(
    await cells.evaluateAll((tds) =>
      tds.map((td) => {
        const tr = td.closest("tr")!;
        const key = `${tr.dataset.tier} ${tr.dataset.measure} ${(td as HTMLElement).dataset.side}`;
        return [key, td.textContent];
      }),
    ),
  ) as Record<string, string>;
}

/** What the page should show for the API's answer, formatted here. */
function expected(answer: Simulation) {
  const rows: Record<string, string> = {};
  for (const t of answer.months[0]!.tiers) {
    for (const side of ["actual", "draft"] as const) {
      const f = t[side];
      const at = `${t.tier} %s ${side}`;
      const put = (measure: string, text: string) => (rows[at.replace("%s", measure)] = text);
      put("learners", count(f.learners));
      put("refusedEvents", count(f.refusedEvents));
      put("subscription", dollars(f.subscriptionRevenue));
      put("overage", dollars(f.overageMoney));
      put("revenue", dollars(String((cents(f.subscriptionRevenue) + cents(f.overageMoney)) / 100)));
      put("candidates", count(f.upgradeCandidates));
      const refusedAt = new Set([
        ...Object.keys(t.actual.refusedLearners),
        ...Object.keys(t.draft.refusedLearners),
      ]);
      if (refusedAt.size === 0) put("refused", "0");
      for (const feature of refusedAt)
        put(`refused-${feature}`, count(f.refusedLearners[feature] ?? 0));
    }
  }
  return rows;
}

describe("the pricing lab", () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const [name, value] = (await signIn(baseUrl, owner.id)).split("=") as [string, string];
    await context.addCookies([{ name, value, url: baseUrl }]);
    page = await context.newPage();
    page.on("pageerror", (error) => errors.push(error.message));
  });
  afterAll(() => browser?.close());

  const simulate = (draft: unknown, fromMonth: string) =>
    serviceQuery<Simulation>(baseUrl, "analytics.simulateCatalog", { draft, fromMonth, months: 1 });

  it("shows the real catalog's figures, a draft's effect and a readable refusal, and resets", async () => {
    // "This month" by the demo's clock, never the test's: Dev lives in UTC.
    const { month: current } = await serviceQuery<{ month: string }>(
      baseUrl,
      "usage.getCurrentUsage",
      { userId: dev.id },
    );
    await page.goto(`${baseUrl}/insights/pricing-lab`);
    // Reachable from every page of the app owner's, beside Insights.
    expect(await page.getByRole("link", { name: "Pricing lab" }).getAttribute("href")).toBe(
      "/insights/pricing-lab",
    );
    expect(await page.getByRole("link", { name: "Insights" }).count()).toBe(1);
    expect(await page.locator("h1").allTextContents()).toEqual(["Pricing lab"]);
    const table = page.getByTestId(`lab-month-${current}`);
    await table.waitFor();
    // Today on both sides, as the API answers an empty draft; the month marked as not over.
    expect(await shown(page, current)).toEqual(expected(await simulate({}, current)));
    expect(await table.locator("h2").textContent()).toContain("(so far)");

    // A draft over last month (a whole month of data on any date): Free gives 10
    // conversations instead of 20, Plus costs $12.50.
    const last = new Date(Date.UTC(Number(current.slice(0, 4)), Number(current.slice(5)) - 2, 1))
      .toISOString()
      .slice(0, 7);
    await page.getByTestId("lab-from").selectOption(last);
    await page.getByLabel("Free Conversations limit", { exact: true }).fill("10");
    await page.getByLabel("Plus price a month in dollars").fill("12.50");
    await page.getByRole("button", { name: "Simulate the draft" }).click();
    const answer = await simulate(
      { tiers: { free: { limits: { conversations: 10 } }, plus: { price: "12.50" } } },
      last,
    );
    await page.getByTestId(`lab-month-${last}`).waitFor();
    expect(await shown(page, last)).toEqual(expected(answer));
    const free = answer.months[0]!.tiers.find((t) => t.tier === "free")!;
    expect(free.draft.refusedLearners.conversations ?? 0).toBeGreaterThanOrEqual(
      free.actual.refusedLearners.conversations ?? 0,
    );
    // The charts name their unit and the month with its year, and drew their bars.
    const monthName = new Date(`${last}-15T00:00:00Z`).toLocaleDateString("en-GB", {
      month: "short",
      year: "numeric",
      timeZone: "UTC",
    });
    for (const [chart, unit] of [
      ["refused", "learners refused"],
      ["revenue", "revenue in $"],
      ["overage", "overage in $"],
    ]) {
      const axis = page.getByTestId(`lab-chart-${chart}-${last}`).locator(".recharts-label");
      await expect.poll(() => axis.allTextContents()).toEqual([`${unit} · ${monthName}`]);
    }
    await expect
      .poll(() =>
        page.locator(`[data-testid^="lab-chart-revenue"] .recharts-bar-rectangle`).count(),
      )
      .toBeGreaterThan(0);

    // A fractional limit: the server's BAD_REQUEST, in the form's words, beside the form.
    await page.getByLabel("Free Conversations limit", { exact: true }).fill("10.5");
    await page.getByRole("button", { name: "Simulate the draft" }).click();
    const error = page.getByTestId("lab-error");
    await error.waitFor();
    expect(await error.textContent()).toMatch(
      /^The draft was not simulated: .*Free · Conversations/,
    );
    expect(await error.textContent()).toContain("whole number");
    expect(await page.locator("h1").allTextContents()).toEqual(["Pricing lab"]);

    // Reset: the real catalog in the form, and today's figures on both sides again.
    await page.getByRole("button", { name: "Reset to the real catalog" }).click();
    expect(await page.getByLabel("Free Conversations limit", { exact: true }).inputValue()).toBe(
      "20",
    );
    expect(await page.getByLabel("Plus price a month in dollars").inputValue()).toBe("9.99");
    await page.getByTestId(`lab-month-${last}`).waitFor();
    await expect.poll(() => error.count()).toBe(0);
    expect(await shown(page, last)).toEqual(expected(await simulate({}, last)));
    expect(errors).toEqual([]);
  });
});
