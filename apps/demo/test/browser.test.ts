import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "./chromium";
import { catalog } from "@usagekit/db/catalog";
import type { TierName } from "@usagekit/db/catalog";
import type { Browser, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { serviceMutation, serviceQuery } from "./demo-server";

const baseUrl = inject("baseUrl");
/** Screenshots land here; CI keeps the folder as artifacts. */
const shots = join(import.meta.dirname, "..", "..", "..", "artifacts", "screenshots");

/**
 * What `seconds` of overage cost on `tier`, worked out here from the catalog's tier table in
 * integer cents (rounded half up to the cent, as a bill rounds): "0.90" for 30 min on plus.
 */
function overageMoney(tier: TierName, seconds: number): string {
  const spec = catalog.tiers[tier].limits.seconds;
  if (spec === null || typeof spec !== "object") return "0.00";
  const [whole, part = ""] = spec.overage.price.split(".");
  const centsPerBlock = Number(whole) * 100 + Number((part + "00").slice(0, 2));
  const per = spec.overage.perUnits;
  const cents = Math.floor((2 * seconds * centsPerBlock + per) / (2 * per));
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

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
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
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
    expect(await page.getByRole("heading", { name: /This month/ }).textContent()).toContain("Free");
    expect(await page.getByTestId("resets-at").textContent()).toContain("Europe/Berlin");
    // Each limited meter says what is left and when it resets, in Ana's zone, as the API says.
    const { period } = await serviceQuery<{ period: { end: string } }>(
      baseUrl,
      "usage.getCurrentUsage",
      { userId: demoUsers[0]!.id },
    );
    const resetDay = new Date(period.end).toLocaleDateString("en-GB", {
      day: "numeric",
      month: "short",
      timeZone: "Europe/Berlin",
    });
    expect(await page.getByTestId("usage-conversations").textContent()).toMatch(
      new RegExp(
        `of 20 conversations left · resets ${resetDay}, (in \\d+ days|in \\d+ hours|within the hour)`,
      ),
    );
    expect(await page.getByTestId("usage-advancedVoiceSeconds").textContent()).toContain(
      "Not in Free — on Plus",
    );
    // The plans with their prices and what each includes, from the catalog.
    const plus = await page.getByTestId("plan-plus").textContent();
    for (const words of [
      "$9.99 a month",
      "300 conversations",
      "10 h practice time, then $0.03 a minute",
    ])
      expect(plus).toContain(words);
    expect(await page.getByTestId("plan-free").textContent()).not.toContain("advanced voice");
    expect(
      Number(await lifetime("longest-streak").then((s) => s.split(" ")[0])),
    ).toBeGreaterThanOrEqual(2);
    // "For you": the API's recommendations for Ana, in words, in its order.
    const ana = demoUsers.find((u) => u.name === "Ana")!;
    const kinds = (
      await serviceQuery<{ kind: string }[]>(baseUrl, "usage.getRecommendations", {
        userId: ana.id,
      })
    ).map((r) => r.kind);
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

  it("shows each action's meter, disables it at the limit with an inline upgrade, and the server refuses a stale page", async () => {
    const exportButton = page.getByRole("button", { name: "Export to Anki" });
    const gate = page.getByTestId("gate-ankiExports");
    // The meter that gates each action is shown under it, practice's three included.
    expect(await gate.textContent()).toMatch(/Anki exports: \d of 3 left/);
    expect(
      await page
        .getByTestId("gate-practice")
        .locator("li")
        .evaluateAll((items) => items.map((li) => li.getAttribute("data-feature"))),
    ).toEqual(["conversations", "realtimeSessions", "seconds"]);
    for (let before = await used("ankiExports"); before < 2; before++) {
      await exportButton.click();
      await expect.poll(() => used("ankiExports")).toBe(before + 1);
    }
    // A second tab opened now still thinks one export is left.
    const stale = await page.context().newPage();
    await stale.goto(`${baseUrl}/dashboard`);
    await exportButton.click();
    await expect.poll(() => used("ankiExports")).toBe(3);
    expect(await page.getByTestId("usage-ankiExports").getAttribute("data-state")).toBe("full");
    expect(await exportButton.isDisabled()).toBe(true);
    expect(await gate.getAttribute("data-blocked-by")).toBe("ankiExports");
    expect(await page.getByTestId("blocked-ankiExports").textContent()).toContain(
      "Anki exports: 3 of 3 used this month. Get more with Plus: 50 a month for $9.99.",
    );
    await shot("04-limit-reached");

    // The server decides, whatever the page shows: the stale tab's click is refused.
    const staleButton = stale.getByRole("button", { name: "Export to Anki" });
    expect(await staleButton.isDisabled()).toBe(false);
    await staleButton.click();
    const result = stale.getByTestId("result");
    await expect.poll(() => result.textContent()).toContain("Limit reached");
    expect(await stale.getByTestId("limit-exceeded").getAttribute("role")).toBe("alert");
    expect(await result.textContent()).toContain(
      "Your Free plan includes 3 Anki exports a month and you have used 3",
    );
    await stale.getByTestId("upgrade-prompt").waitFor();
    await expect
      .poll(() => stale.getByTestId("usage-ankiExports").getAttribute("data-used"))
      .toBe("3");
    await stale.close();

    // The inline upgrade lifts the limit where it stopped.
    await page
      .getByTestId("blocked-ankiExports")
      .getByRole("button", { name: /Switch to Plus/ })
      .click();
    await expect
      .poll(async () => page.getByRole("heading", { name: /This month/ }).textContent())
      .toContain("Plus");
    await exportButton.click();
    await expect.poll(() => used("ankiExports")).toBe(4);
    expect(await page.getByTestId("usage-ankiExports").textContent()).toContain(
      "46 of 50 Anki exports left",
    );
    expect(await lifetime("highest-tier")).toBe("Plus");
    await shot("05-upgraded");

    // A double-click (two clicks ~150 ms apart) is one export, whether or not the first click
    // had been answered when the second came: the API counts it once.
    const exportsRecorded = async () =>
      (
        await serviceQuery<{ ankiExportsUsed: number }>(baseUrl, "usage.getCurrentUsage", {
          userId: demoUsers[0]!.id,
        })
      ).ankiExportsUsed;
    const before = await exportsRecorded();
    const answers: Promise<unknown>[] = [];
    const keys: string[] = [];
    const onRequest = (request: Request) => {
      if (!request.url().includes("usage.recordUsage")) return;
      answers.push(request.response());
      keys.push(/"idempotencyKey":"([^"]+)"/.exec(request.postData() ?? "")?.[1] ?? "none");
    };
    page.on("request", onRequest);
    await exportButton.dblclick({ delay: 75 });
    await expect.poll(() => used("ankiExports")).toBe(before + 1);
    await page.waitForTimeout(500); // a second request, if one was sent, is on its way by now
    await Promise.all(answers);
    page.off("request", onRequest);
    expect(await exportsRecorded(), `${answers.length} recordUsage request(s) sent`).toBe(
      before + 1,
    );
    await expect.poll(() => used("ankiExports")).toBe(before + 1);
    // Each request the double-click sent (one, or two when the first was answered in time)
    // carried the one key of that click.
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys).size, keys.join(", ")).toBe(1);
    expect(keys[0]).toMatch(/^ankiExports-[0-9a-f-]{36}$/);
  });

  it("shows the monthly history", async () => {
    await page.getByRole("link", { name: "History" }).click();
    await page.waitForURL(/\/history$/);
    const rows = page.getByTestId("history").locator("tbody tr");
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(5);
    expect(await rows.first().locator("td").nth(1).textContent()).toBe("Plus");
    // The bills: this month on plus; every month's total is its payments plus its overage.
    const bills = page.getByTestId("billing").locator("tbody tr");
    expect(await bills.first().locator("td").nth(1).textContent()).toBe("Plus");
    const billed = await serviceQuery<{ month: string; total: string }[]>(
      baseUrl,
      "usage.getBillingHistory",
      { userId: demoUsers[0]!.id },
    );
    expect(
      await bills.evaluateAll((rows) =>
        rows.map((r) => ({
          month: r.getAttribute("data-month"),
          total: r.getAttribute("data-total"),
        })),
      ),
    ).toEqual(billed.map(({ month, total }) => ({ month, total })));
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
    const api = (procedure: string, input: unknown) =>
      serviceQuery<never>(
        baseUrl,
        procedure.includes(".") ? procedure : `analytics.${procedure}`,
        input,
      );
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
    for (const chart of ["chart-adoption", "chart-segments", "chart-dropoff", "chart-quiet"])
      await drewBars(chart);
    expect(await page.getByTestId("retention").locator("tbody tr").count()).toBe(6);
    // The ten most refused learners, in the API's order, named (generated learners by number).
    const top: { candidates: { userId: string }[] } = await api("upgradeCandidates", {
      month,
      limit: 10,
    });
    const names = await page
      .getByTestId("candidates")
      .locator("tbody tr td:first-child")
      .allTextContents();
    expect(names).toEqual(
      top.candidates.map(
        (c) =>
          demoUsers.find((u) => u.id === c.userId)?.name ??
          `Learner ${Number(c.userId.slice("learner-".length))}`,
      ),
    );
    // At most ten; Ana, refused at her export limit above, makes at least one on any date.
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(10);
    // Feature value by plan: each cell is the API's number of users.
    const value: { tiers: { tier: string; features: Record<string, { users: number }> }[] } =
      await api("featureValue", { month });
    for (const t of value.tiers.filter((t) => t.features.conversations!.users > 0))
      expect(
        await page
          .getByTestId("feature-value")
          .locator(`td[data-tier="${t.tier}"][data-feature="conversations"]`)
          .getAttribute("data-users"),
      ).toBe(String(t.features.conversations!.users));
    expect(await page.getByTestId("plan-rule").textContent()).toContain("latest event");
    await shot("07-insights");
    // Ben practised past his plus hours this month: his billing month (New York) bills overage.
    const benMonth = await monthOf(demoUsers.find((u) => u.name === "Ben")!.id);
    const billed: { total: string } = await api("overage", { month: benMonth });
    expect(Number(billed.total)).toBeGreaterThan(0);
    await page.goto(`${baseUrl}/insights?month=${benMonth}`);
    await shows("overage-total", billed.total);
    await drewBars("chart-overage");
    // A month before anyone practised: every card says so instead of drawing empty axes.
    await page.goto(`${baseUrl}/insights?month=2020-01`);
    for (const card of ["adoption", "segments", "dropoff", "overage"])
      expect(await page.getByTestId(`empty-${card}`).textContent()).toMatch(/No learner/);
    await page.getByTestId("feature-value-empty").waitFor();
    expect(await page.locator(".recharts-wrapper").count()).toBe(0);
    // A month in the future is not offered: the page shows this month instead.
    await page.goto(`${baseUrl}/insights?month=2999-01`);
    expect(await page.locator("h1").textContent()).toContain(
      new Date(`${month}-15T00:00:00Z`).toLocaleDateString("en-GB", {
        month: "short",
        year: "numeric",
        timeZone: "UTC",
      }),
    );
  });

  it("tells a learner in overage what it costs so far, as the bill says", async () => {
    const ben = demoUsers.find((u) => u.name === "Ben")!;
    const context = await browser.newContext();
    const other = await context.newPage();
    await other.goto(`${baseUrl}/sign-in`);
    await other.getByRole("button", { name: /^Ben/ }).click();
    await other.waitForURL(/\/dashboard$/);
    const [bill] = await serviceQuery<{ overage: string }[]>(baseUrl, "usage.getBillingHistory", {
      userId: ben.id,
      months: 1,
    });
    expect(Number(bill!.overage)).toBeGreaterThan(0);
    const shown = other.getByTestId("overage-so-far");
    expect(await shown.getAttribute("data-value")).toBe(bill!.overage);
    expect(await shown.textContent()).toContain(`$${bill!.overage} overage so far`);
    // The money is this month's overage seconds at the plus rate, worked out here from the
    // catalog, and those seconds are what the meter shows past the hours included.
    const month = await serviceQuery<{ tier: TierName; overageSeconds: number }>(
      baseUrl,
      "usage.getCurrentUsage",
      { userId: ben.id },
    );
    expect(month.tier).toBe("plus");
    expect(month.overageSeconds).toBeGreaterThan(0);
    const expected = overageMoney("plus", month.overageSeconds);
    expect(await shown.getAttribute("data-value")).toBe(expected);
    expect(await shown.textContent()).toContain(`$${expected} overage so far`);
    const meter = other.getByTestId("usage-seconds");
    expect(await meter.getAttribute("data-state")).toBe("overage");
    const included = catalog.tiers.plus.limits.seconds.limit;
    expect(Number(await meter.getAttribute("data-used")) - included).toBe(month.overageSeconds);

    // History: each bill's overage is its month's overage seconds at its plan's rate.
    await other.getByRole("link", { name: "History" }).click();
    await other.waitForURL(/\/history$/);
    const rows = await serviceQuery<
      { month: string; tierWhenUsed: TierName; overageSeconds: number }[]
    >(baseUrl, "usage.getUsageHistory", { userId: ben.id, months: 12 });
    const bills = await other
      .getByTestId("billing")
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => ({
          month: tr.getAttribute("data-month"),
          overage: tr.getAttribute("data-overage"),
        })),
      );
    expect(bills.length).toBeGreaterThan(0);
    for (const row of rows.filter((r) => r.overageSeconds > 0))
      expect(bills.map((b) => b.month)).toContain(row.month);
    expect(rows.filter((r) => r.overageSeconds > 0).length).toBeGreaterThan(0);
    expect(bills).toEqual(
      bills.map(({ month }) => {
        const row = rows.find((r) => r.month === month);
        return {
          month,
          overage: row ? overageMoney(row.tierWhenUsed, row.overageSeconds) : "0.00",
        };
      }),
    );
    await context.close();
  });

  it("runs a voice session — held, counted down, extended, settled — and the owner refunds it", async () => {
    // Chiara is on pro: no hard limit on practice time or extensions, on any day of the year.
    const chiara = demoUsers.find((u) => u.name === "Chiara")!;
    type Month = Record<
      "seconds" | "sessionExtensionsUsed" | "realtimeSessions" | "completedSessions",
      number
    >;
    const month = () =>
      serviceQuery<Month>(baseUrl, "usage.getCurrentUsage", { userId: chiara.id });
    const context = await browser.newContext();
    const learner = await context.newPage();
    learner.on("pageerror", (error) => consoleErrors.push(error.message));
    await learner.goto(`${baseUrl}/sign-in`);
    await learner.getByRole("button", { name: /^Chiara/ }).click();
    await learner.waitForURL(/\/dashboard$/);
    const before = await month();
    const held = (feature: string) =>
      learner.getByTestId(`usage-${feature}`).getAttribute("data-held");

    await learner.getByRole("button", { name: "Start a voice session" }).click();
    const hold = learner.getByTestId("voice-hold");
    await expect
      .poll(() => hold.textContent())
      .toMatch(/^10 min held · the hold ends in \d\d:\d\d$/);
    // The hold counts in the meters and in the server's answers while the session runs.
    await expect.poll(() => held("seconds")).toBe("600");
    const check = await serviceQuery<{ held: number }>(baseUrl, "usage.canUseFeature", {
      userId: chiara.id,
      feature: "seconds",
    });
    expect(check.held).toBe(600);
    const countdown = learner.getByTestId("voice-countdown");
    const first = await countdown.textContent();
    await expect.poll(() => countdown.textContent(), { timeout: 5_000 }).not.toBe(first);

    await learner.getByRole("button", { name: "Extend (+5 min)" }).click();
    await expect.poll(() => hold.textContent()).toMatch(/^15 min held/);
    await expect.poll(() => held("seconds")).toBe("900");
    expect(await held("sessionExtensions")).toBe("1");
    await learner.screenshot({ path: join(shots, "11-voice-session.png"), fullPage: true });

    await learner.getByRole("button", { name: "End", exact: true }).click();
    await learner.getByRole("button", { name: "Start a voice session" }).waitFor();
    await expect.poll(() => held("seconds")).toBe("0");
    const after = await month();
    const settled = after.seconds - before.seconds;
    expect(settled).toBeGreaterThanOrEqual(1);
    expect(settled).toBeLessThan(120);
    expect(after.realtimeSessions).toBe(before.realtimeSessions + 1);
    expect(after.sessionExtensionsUsed).toBe(before.sessionExtensionsUsed + 1);
    expect(after.completedSessions).toBe(before.completedSessions + 1);

    // The app owner refunds it, with a reason: it no longer counts, this month or in a report.
    const owner = await (await browser.newContext()).newPage();
    await owner.goto(`${baseUrl}/sign-in`);
    await owner.getByRole("button", { name: /^Olivia/ }).click();
    await owner.waitForURL(/\/insights$/);
    const session = owner.getByTestId("refunds").locator('li[data-key^="usagekit:reservation:"]');
    expect(await session.first().textContent()).toContain("Chiara");
    await owner.getByTestId("refunds").getByRole("textbox").fill("The voice line dropped");
    await session.first().getByRole("button", { name: "Refund" }).click();
    await owner.getByText("Refunded: the session no longer counts.").waitFor();
    await expect.poll(() => session.first().textContent()).toContain("refunded");
    const refunded = await month();
    expect(refunded.seconds).toBe(before.seconds);
    expect(refunded.completedSessions).toBe(before.completedSessions);
    await owner.screenshot({ path: join(shots, "12-refunded.png"), fullPage: true });
    await owner.context().close();
    await context.close();
  });

  it("warns Dev at 80 %, offers a top-up at the limit that grants at once, and the owner sees both", async () => {
    // Dev signed up today (no history of practice time): on free, 30 min of it on any date. Other
    // suites change Dev's plan (the demo's matrix acts as Dev): put it back first.
    const dev = demoUsers.find((u) => u.name === "Dev")!;
    await serviceMutation(baseUrl, "usage.setUserPlan", { userId: dev.id, tier: "free" });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const learner = await context.newPage();
    learner.on("pageerror", (error) => consoleErrors.push(error.message));
    await learner.goto(`${baseUrl}/sign-in`);
    await learner.getByRole("button", { name: /^Dev/ }).click();
    await learner.waitForURL(/\/dashboard$/);
    const usedSeconds = async () =>
      Number(await learner.getByTestId("usage-seconds").getAttribute("data-used"));
    const practise = async (minutes: number) => {
      const before = await usedSeconds();
      await learner.getByTestId("minutes").selectOption(String(minutes));
      await learner.getByRole("button", { name: "Practise a conversation" }).click();
      await expect.poll(usedSeconds).toBe(before + minutes * 60);
    };
    const alerts = learner.getByTestId("usage-alerts");
    expect(await usedSeconds()).toBe(0);
    expect(await alerts.count()).toBe(0);
    await practise(15);
    expect(await alerts.count()).toBe(0);
    await practise(10); // 25 of 30 minutes: past 80 %
    await alerts.waitFor();
    expect(await alerts.locator('li[data-feature="seconds"]').getAttribute("data-threshold")).toBe(
      "80",
    );
    expect(await alerts.textContent()).toContain(
      "You have used 80 % of your practice time this month: 25 min of 30 min.",
    );
    // Each meter says where the learner's pace takes it by the month's end, as the API forecasts.
    const pace = await serviceQuery<{
      features: { seconds: { projected: number; reachesLimitOn: string | null } };
    }>(baseUrl, "usage.getForecast", { userId: dev.id });
    await expect
      .poll(() => learner.getByTestId("usage-seconds").getAttribute("data-projected"))
      .toBe(String(pace.features.seconds.projected));
    expect(await learner.getByTestId("usage-seconds").textContent()).toContain("at this pace");
    // The alert says when that pace runs out, when it does this month (the API's day).
    const runsOut = pace.features.seconds.reachesLimitOn;
    const day = (d: string) =>
      new Date(`${d}T12:00:00Z`).toLocaleDateString("en-GB", {
        day: "numeric",
        month: "short",
        timeZone: "UTC",
      });
    if (runsOut)
      expect(await alerts.textContent()).toContain(`At this pace it runs out on ${day(runsOut)}.`);
    else expect(await alerts.textContent()).not.toContain("runs out");
    await learner.screenshot({ path: join(shots, "13-warned-at-80.png"), fullPage: true });
    await practise(5);
    await expect
      .poll(() => alerts.locator('li[data-feature="seconds"]').getAttribute("data-threshold"))
      .toBe("100");
    // At the limit the practice is blocked, with an upgrade and a top-up of an hour.
    const blocked = learner.getByTestId("blocked-practice");
    await blocked.waitFor();
    expect(
      await learner.getByRole("button", { name: "Practise a conversation" }).isDisabled(),
    ).toBe(true);
    expect(await blocked.getByRole("button", { name: /Switch to Plus/ }).count()).toBe(1);
    const topUp = blocked.getByRole("button", { name: "+1 h of practice time for $4.99" });
    await learner.screenshot({ path: join(shots, "14-paywall.png"), fullPage: true });
    await topUp.click();
    await expect
      .poll(() => learner.getByTestId("result").textContent())
      .toContain("Added 60 minutes of practice time.");
    await expect
      .poll(() => learner.getByTestId("usage-seconds").getAttribute("data-granted"))
      .toBe("3600");
    expect(await learner.getByTestId("usage-seconds").textContent()).toContain(
      "1 h of 1 h 30 min practice time left · incl. 1 h from top-ups",
    );
    // The hour is there at once: the next practice fits, and the server agrees.
    await practise(10);
    const month = await serviceQuery<{
      month: string;
      features: { seconds: { used: number; limit: number; granted: number } };
    }>(baseUrl, "usage.getCurrentUsage", { userId: dev.id });
    expect(month.features.seconds).toMatchObject({ used: 2400, limit: 5400, granted: 3600 });
    const life = await serviceQuery<{ topUpRevenue: string; usedFromGrants: object }>(
      baseUrl,
      "usage.getLifetimeStats",
      { userId: dev.id },
    );
    expect(life).toMatchObject({ topUpRevenue: "4.99", usedFromGrants: { seconds: 600 } });
    await learner.screenshot({ path: join(shots, "15-topped-up.png"), fullPage: true });
    await context.close();

    // The app owner's Insights: the month's alerts and top-up revenue, as the API reports them.
    const ownerContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const owner = await ownerContext.newPage();
    owner.on("pageerror", (error) => consoleErrors.push(error.message));
    await owner.goto(`${baseUrl}/sign-in`);
    await owner.getByRole("button", { name: /^Olivia/ }).click();
    await owner.waitForURL(/\/insights$/);
    const report = await serviceQuery<{
      alerts: { feature: string; threshold: number; learners: number }[];
      topUps: { revenue: string };
    }>(baseUrl, "analytics.monetization", { month: month.month });
    const card = owner.getByTestId("monetization");
    expect(await card.getByTestId("top-up-revenue").getAttribute("data-value")).toBe(
      report.topUps.revenue,
    );
    expect(Number(report.topUps.revenue)).toBeGreaterThanOrEqual(4.99);
    for (const threshold of [80, 100]) {
      const row = report.alerts.find((a) => a.feature === "seconds" && a.threshold === threshold)!;
      expect(row.learners).toBeGreaterThanOrEqual(1);
      expect(
        await card
          .locator(`tr[data-feature="seconds"] td[data-threshold="${threshold}"]`)
          .textContent(),
      ).toBe(String(row.learners));
    }
    await owner.screenshot({ path: join(shots, "16-insights-top-ups.png"), fullPage: true });
    await ownerContext.close();
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
