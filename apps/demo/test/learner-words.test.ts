import { launchChromium } from "./chromium";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { serviceMutation, serviceQuery } from "./demo-server";
import { signIn } from "./session";

const baseUrl = inject("baseUrl");
const ana = demoUsers.find((u) => u.name === "Ana")!;
const dev = demoUsers.find((u) => u.name === "Dev")!;

type Usage = {
  tier: string;
  month: string;
  features: Record<string, { used: number; limit: number | null }>;
};
const usageOf = (userId: string) =>
  serviceQuery<Usage>(baseUrl, "usage.getCurrentUsage", { userId });
const cents = (s: string) => Math.round(Number(s) * 100);

describe("the learner's dashboard in people's words", () => {
  let browser: Browser;
  const pageAs = async (userId: string, width = 1280) => {
    const context = await browser.newContext({ viewport: { width, height: 1000 } });
    const [name, value] = (await signIn(baseUrl, userId)).split("=") as [string, string];
    await context.addCookies([{ name, value, url: baseUrl }]);
    const page = await context.newPage();
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByTestId("usage-conversations").waitFor();
    return page;
  };
  beforeAll(async () => {
    browser = await launchChromium();
    // Dev is on Free for these (other suites change Dev's plan).
    await serviceMutation(baseUrl, "usage.setUserPlan", { userId: dev.id, tier: "free" });
  });
  afterAll(() => browser?.close());

  it("says how many practices are left and which limit binds them", async () => {
    const page = await pageAs(ana.id);
    await page.getByTestId("minutes").selectOption("5");
    // Worked out here: a practice spends a conversation, a realtime session and 5 minutes.
    const usage = await usageOf(ana.id);
    const spends = { conversations: 1, realtimeSessions: 1, seconds: 300 } as const;
    const soft = usage.tier !== "free"; // practice time is billed past the limit on paid plans
    const gates = Object.entries(spends)
      .filter(([f]) => !(soft && f === "seconds"))
      .flatMap(([f, amount]) => {
        const { used, limit } = usage.features[f]!;
        return limit === null
          ? []
          : [{ f, times: Math.floor((limit - used) / amount), used, limit }];
      })
      .sort((a, b) => a.times - b.times);
    const least = gates[0]!;
    const words = {
      conversations: "a conversation",
      realtimeSessions: "a realtime session",
      seconds: "5 min of practice time",
    }[least.f]!;
    const left = (n: number) => (least.f === "seconds" ? `${n / 60} min` : String(n));
    const line = page.getByTestId("times-left-practice");
    if (least.times === 0) {
      expect(await line.count()).toBe(0);
      expect(await page.getByTestId("blocked-practice").count()).toBe(1);
    } else {
      expect(await line.textContent()).toBe(
        `${least.times} ${least.times === 1 ? "practice" : "practices"} left: each uses ${words} (${left(least.limit - least.used)} of ${left(least.limit)} left).`,
      );
    }
    await page.context().close();
  });

  it("offers upgrades as offers, names plans one way, puts progress first on a phone", async () => {
    const page = await pageAs(dev.id, 390);
    // Advanced voice is not in Free: an offer before anything was tried, not an error.
    const offer = page.getByTestId("blocked-advancedVoiceSeconds");
    expect(await offer.getAttribute("class")).toBe("notice offer");
    expect(await offer.textContent()).toContain(
      "Advanced voice is not in your plan. Get it with Plus: 1 h a month for $9.99.",
    );
    expect(await page.locator(".notice.error").count()).toBe(0);
    // Plan names as the catalog writes them, everywhere on the page.
    const text = await page.locator("main").innerText();
    expect(text).not.toMatch(/\b(free|plus|pro)\b/);
    expect(text).toContain("Free");
    // On a phone: this month's meters and lifetime progress before the plan cards.
    const top = async (testId: string) => (await page.getByTestId(testId).boundingBox())!.y;
    const plans = await top("plan-free");
    expect(await top("usage-conversations")).toBeLessThan(plans);
    expect(await top("total-conversations")).toBeLessThan(plans);
    // No two buttons share a name.
    const names = await page
      .getByRole("button")
      .evaluateAll((buttons) =>
        buttons.map((b) => b.getAttribute("aria-label") ?? b.textContent!.trim()),
      );
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    await page.context().close();
  });

  it("keeps the keyboard's focus on an action after it ran", async () => {
    const page = await pageAs(dev.id);
    const button = page.getByRole("button", { name: "Create a custom phrase" });
    const before = Number(await page.getByTestId("usage-customPhrases").getAttribute("data-used"));
    expect(before).toBeLessThan(10); // Free's 10 phrases: room for one more
    await button.focus();
    await page.keyboard.press("Enter");
    await expect
      .poll(() => page.getByTestId("usage-customPhrases").getAttribute("data-used"))
      .toBe(String(before + 1));
    expect(await button.evaluate((b) => b === document.activeElement)).toBe(true);
    await page.context().close();
  });

  it("checks out a plan with its payment, and asks before a switch down", async () => {
    const page = await pageAs(dev.id);
    const life = () =>
      serviceQuery<{ totalRevenue: string }>(baseUrl, "usage.getLifetimeStats", { userId: dev.id });
    const bill = async () =>
      (
        await serviceQuery<{ month: string; paid: string; total: string }[]>(
          baseUrl,
          "usage.getBillingHistory",
          { userId: dev.id, months: 1 },
        )
      )[0];
    const paidBefore = (await life()).totalRevenue;
    const billBefore = (await bill())?.paid ?? "0.00";
    await page
      .getByTestId("plan-plus")
      .getByRole("button", { name: "Switch to Plus · $9.99 a month" })
      .click();
    await expect
      .poll(() => page.getByTestId("result").textContent())
      .toBe("You are now on Plus. Paid $9.99 for this month.");
    const paidAfter = (await life()).totalRevenue;
    expect(cents(paidAfter) - cents(paidBefore)).toBe(999);
    expect(cents((await bill())!.paid) - cents(billBefore)).toBe(999);
    await expect
      .poll(() => page.getByTestId("total-revenue").locator("dd").textContent())
      .toBe(`$${Number(paidAfter).toLocaleString("en-US", { minimumFractionDigits: 2 })}`);

    // On Plus, Dev uses more conversations than Free gives (undone at the end).
    const { used } = (await usageOf(dev.id)).features.conversations!;
    const extra = Math.max(1, 21 - used);
    const key = `learner-words-${crypto.randomUUID()}`;
    await serviceMutation(baseUrl, "usage.recordUsage", {
      userId: dev.id,
      idempotencyKey: key,
      conversations: extra,
    });
    await page.reload();
    // A switch down asks first, in the page; "Keep Plus" changes nothing.
    const down = page.getByTestId("plan-free").getByRole("button", { name: /^Switch to Free/ });
    await down.click();
    const confirm = page.getByTestId("confirm-switch");
    await confirm.waitFor();
    const yes = confirm.getByRole("button", { name: "Yes, switch to Free" });
    expect(await yes.evaluate((b) => b === document.activeElement)).toBe(true);
    await confirm.getByRole("button", { name: "Keep Plus" }).click();
    expect(await confirm.count()).toBe(0);
    expect((await usageOf(dev.id)).tier).toBe("plus");
    await down.click();
    await page
      .getByTestId("confirm-switch")
      .getByRole("button", { name: "Yes, switch to Free" })
      .click();
    await expect.poll(() => page.getByTestId("result").textContent()).toBe("You are now on Free.");
    // Past Free's hard limit: not billable overage, the limit reached.
    const meter = page.getByTestId("usage-conversations");
    await expect.poll(() => meter.getAttribute("data-state")).toBe("full");
    expect(await meter.textContent()).toContain(
      `Limit reached: ${used + extra} conversations used, Free includes 20`,
    );
    expect(await meter.textContent()).not.toMatch(/over the|overage/);

    // History: this month's bill carries the payment, as the API says.
    await page.getByRole("link", { name: "History" }).click();
    const now = (await bill())!;
    const row = page.getByTestId("billing").locator(`tbody tr[data-month="${now.month}"]`);
    expect(await row.getAttribute("data-total")).toBe(now.total);
    await serviceMutation(baseUrl, "usage.correctUsage", {
      userId: dev.id,
      idempotencyKey: `${key}-undo`,
      correctsKey: key,
      reason: "test: undo",
      conversations: extra,
    });
    await page.context().close();
  });
});
