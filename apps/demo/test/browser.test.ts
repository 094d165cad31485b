import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "./chromium";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { SERVICE_TOKEN } from "./global-setup";

const baseUrl = inject("baseUrl");
/** Screenshots land here; CI keeps the folder as artifacts. */
const shots = join(import.meta.dirname, "..", "..", "..", "artifacts", "screenshots");

describe("the demo in a real browser", () => {
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const shot = (name: string) =>
    page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const used = async (feature: string) =>
    Number(await page.getByTestId(`usage-${feature}`).getAttribute("data-used"));
  const lifetime = async (id: string) =>
    (await page.getByTestId(id).locator("dd").textContent())!.trim();

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs in as a free learner and shows the dashboard rendered by the server", async () => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.waitForURL(/\/sign-in$/);
    await shot("01-sign-in");
    await page.getByRole("button", { name: /^Ana/ }).click();
    await page.waitForURL(/\/dashboard$/);
    await expect.poll(() => page.getByTestId("usage-ankiExports").count()).toBe(1);
    expect(await page.getByRole("heading", { name: /This month/ }).textContent()).toContain("free");
    expect(await page.getByTestId("resets-at").textContent()).toContain("Europe/Berlin");
    expect(
      Number(await lifetime("longest-streak").then((s) => s.split(" ")[0])),
    ).toBeGreaterThanOrEqual(2);
    // "For you": the API's recommendations for Ana, in words, in its order.
    const ana = demoUsers.find((u) => u.name === "Ana")!;
    const response = await fetch(
      `${baseUrl}/api/trpc/usage.getRecommendations?input=${encodeURIComponent(JSON.stringify({ json: { userId: ana.id } }))}`,
      { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } },
    );
    const kinds = (
      (await response.json()) as { result: { data: { json: { kind: string }[] } } }
    ).result.data.json.map((r) => r.kind);
    const shown = page.getByTestId("recommendations").locator("li");
    expect(
      await shown.evaluateAll((items) => items.map((li) => li.getAttribute("data-kind"))),
    ).toEqual(kinds.slice(0, 5));
    await shot("02-dashboard");
  });

  it("records a practised conversation and shows the new counters and lifetime stats", async () => {
    const conversations = await used("conversations");
    const seconds = await used("seconds");
    const total = Number(await lifetime("total-conversations"));
    await page.getByTestId("minutes").selectOption("5");
    await page.getByRole("button", { name: "Practise a conversation" }).click();
    await expect.poll(() => used("conversations")).toBe(conversations + 1);
    expect(await used("seconds")).toBe(seconds + 300);
    await expect.poll(() => lifetime("total-conversations")).toBe(String(total + 1));
    expect(await page.getByTestId("result").textContent()).toContain(
      "Recorded a 5-minute conversation",
    );
    await shot("03-practised");
  });

  it("exports to Anki until the free limit, is refused by the server and offered an upgrade", async () => {
    const exportButton = page.getByRole("button", { name: "Export to Anki" });
    for (let before = await used("ankiExports"); before < 3; before++) {
      await exportButton.click();
      await expect.poll(() => used("ankiExports")).toBe(before + 1);
    }
    expect(await page.getByTestId("usage-ankiExports").getAttribute("data-state")).toBe("full");
    await exportButton.click();
    const result = page.getByTestId("result");
    await expect.poll(() => result.textContent()).toContain("Limit reached");
    expect(await page.getByTestId("limit-exceeded").getAttribute("role")).toBe("alert");
    expect(await result.textContent()).toContain(
      "Your free plan includes 3 Anki exports a month and you have used 3",
    );
    expect(await used("ankiExports")).toBe(3);
    await page.getByTestId("upgrade-prompt").waitFor();
    await shot("04-limit-reached");

    await page.getByTestId("upgrade-prompt").getByRole("button", { name: "Switch to pro" }).click();
    await expect
      .poll(async () => page.getByRole("heading", { name: /This month/ }).textContent())
      .toContain("pro");
    await exportButton.click();
    await expect.poll(() => used("ankiExports")).toBe(4);
    expect(await page.getByTestId("usage-ankiExports").getAttribute("data-state")).toBe(
      "unlimited",
    );
    expect(await lifetime("highest-tier")).toBe("pro");
    await shot("05-upgraded");
  });

  it("shows the monthly history", async () => {
    await page.getByRole("link", { name: "History" }).click();
    await page.waitForURL(/\/history$/);
    const rows = page.getByTestId("history").locator("tbody tr");
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(5);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe("pro");
    expect(await page.locator("h1").allTextContents()).toEqual(["History"]);
    await shot("06-history");
  });

  it("shows milestones earned from the learner's own history", async () => {
    await page.getByRole("link", { name: "Dashboard" }).click();
    await page.waitForURL(/\/dashboard$/);
    expect(await page.locator("h1").allTextContents()).toEqual(["Ana's practice"]);
    const earned = page.getByTestId("milestones-earned").locator("li[data-id]");
    await expect.poll(() => earned.count()).toBeGreaterThanOrEqual(3);
    expect(
      await page.getByTestId("milestones-earned").locator('[data-id="first-conversation"]').count(),
    ).toBe(1);
    expect(
      await page.getByTestId("milestones-earned").locator('[data-id="exports-1"]').count(),
    ).toBe(1);
  });

  it("shows the app owner Insights with charts of the seeded numbers", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/sign-in$/);
    await page.getByRole("button", { name: /^Olivia/ }).click();
    await page.waitForURL(/\/insights$/);
    const api = async (procedure: string, input: unknown) => {
      const path = procedure.includes(".") ? procedure : `analytics.${procedure}`;
      const url = `${baseUrl}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
      const response = await fetch(url, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } });
      return ((await response.json()) as { result: { data: { json: never } } }).result.data.json;
    };
    // "This month" by the demo's clock, never the test's: Dev lives in UTC.
    const monthOf = async (userId: string) =>
      ((await api("usage.getCurrentUsage", { userId })) as { month: string }).month;
    const month = await monthOf(demoUsers.find((u) => u.name === "Dev")!.id);
    /** The number a page element shows (its data-value) is the API's answer. */
    const shows = async (testId: string, value: number | string) =>
      expect(await page.getByTestId(testId).getAttribute("data-value")).toBe(String(value));
    const adoption: { tiers: { tier: string; activeUsers: number }[] } = await api(
      "featureAdoption",
      { month },
    );
    for (const t of adoption.tiers) await shows(`active-${t.tier}`, t.activeUsers);
    expect(adoption.tiers.reduce((n, t) => n + t.activeUsers, 0)).toBeGreaterThanOrEqual(3);
    const overage: { total: string } = await api("overage", { month });
    await shows("overage-total", overage.total);
    const segments: { segments: { segment: string; users: number }[] } = await api("userSegments", {
      month,
    });
    for (const s of segments.segments) await shows(`segment-${s.segment}`, s.users);
    // Every chart drew its bars (recharts SVG), and Ana, refused at her export limit, is a candidate.
    const drewBars = (chart: string) =>
      expect
        .poll(() => page.getByTestId(chart).locator("svg .recharts-bar-rectangle").count(), {
          timeout: 10_000,
        })
        .toBeGreaterThan(0);
    for (const chart of ["chart-adoption", "chart-segments", "chart-dropoff"])
      await drewBars(chart);
    expect(await page.getByTestId("retention").locator("tbody tr").count()).toBe(6);
    expect(await page.getByTestId("candidates").textContent()).toContain("Ana");
    await shot("07-insights");
    // Ben practised past his plus hours this month: his billing month (New York) bills overage.
    const benMonth = await monthOf(demoUsers.find((u) => u.name === "Ben")!.id);
    const billed: { total: string } = await api("overage", { month: benMonth });
    expect(Number(billed.total)).toBeGreaterThan(0);
    await page.goto(`${baseUrl}/insights?month=${benMonth}`);
    await shows("overage-total", billed.total);
    await drewBars("chart-overage");
  });

  it("logged no browser console errors", () => {
    expect(consoleErrors).toEqual([]);
  });

  it("answers an unknown address with a styled 404 that leads back", async () => {
    const other = await browser.newPage();
    const response = await other.goto(`${baseUrl}/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await other.locator("h1").allTextContents()).toEqual(["Page not found"]);
    await other.getByRole("link", { name: "Back to the start" }).click();
    await other.waitForURL(/\/sign-in/);
    await other.close();
  });
});
