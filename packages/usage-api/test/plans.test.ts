import { describe, expect, it } from "vitest";
import { dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");

describe.each(dbKinds)("plans and payments on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });

  it("records payments once, as exact decimals, per month, without changing the tier", async () => {
    const userId = newUserId();
    await suite.api.usage.setUserPlan({ userId, tier: "plus" });
    const paidAt = new Date("2026-10-03T10:00:00Z");
    const a = await suite.api.usage.recordPayment({
      userId,
      tier: "plus",
      amount: "0.10",
      paidAt,
      idempotencyKey: "inv-1",
    });
    const b = await suite.api.usage.recordPayment({
      userId,
      tier: "plus",
      amount: "0.20",
      paidAt,
      idempotencyKey: "inv-2",
    });
    const dup = await suite.api.usage.recordPayment({
      userId,
      tier: "plus",
      amount: "0.20",
      paidAt,
      idempotencyKey: "inv-2",
    });
    expect(a).toMatchObject({ recorded: true, totalRevenue: "0.10", monthsSubscribed: 1 });
    expect(b).toMatchObject({ recorded: true, totalRevenue: "0.30", monthsSubscribed: 1 });
    expect(dup).toMatchObject({ recorded: false, duplicate: true, totalRevenue: "0.30" });
    const c = await suite.api.usage.recordPayment({
      userId,
      tier: "pro",
      amount: "99999999.99",
      paidAt: NOW,
      idempotencyKey: "inv-3",
    });
    expect(c).toMatchObject({
      totalRevenue: "100000000.29",
      monthsSubscribed: 2,
      highestTierReached: "pro",
    });
    const life = await suite.api.usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({
      totalRevenue: "100000000.29",
      monthsSubscribed: 2,
      highestTierReached: "pro",
    });
    expect((await suite.api.usage.getCurrentUsage({ userId })).tier).toBe("plus");
  });

  it("keeps the time zone unless setUserPlan names one, and a change affects new events only", async () => {
    const userId = newUserId();
    const plan = await suite.api.usage.setUserPlan({
      userId,
      tier: "plus",
      timezone: "Asia/Tokyo",
    });
    expect(plan).toMatchObject({
      id: userId,
      tier: "plus",
      timezone: "Asia/Tokyo",
      highestTierReached: "plus",
    });
    // 2026-10-31T16:00Z is already November in Tokyo.
    const tokyo = await suite.api.usage.recordUsage({
      userId,
      seconds: 1,
      occurredAt: new Date("2026-10-31T16:00:00Z"),
    });
    expect(tokyo.usage.month).toBe("2026-11");
    expect(tokyo.period.start).toEqual(new Date("2026-10-31T15:00:00Z"));
    const down = await suite.api.usage.setUserPlan({ userId, tier: "free" });
    expect(down).toMatchObject({
      tier: "free",
      timezone: "Asia/Tokyo",
      highestTierReached: "plus",
    });
    await suite.api.usage.setUserPlan({ userId, tier: "free", timezone: "America/Los_Angeles" });
    // The same instant is still October in Los Angeles: a new row; the Tokyo row is untouched.
    const la = await suite.api.usage.recordUsage({
      userId,
      seconds: 2,
      occurredAt: new Date("2026-10-31T16:00:00Z"),
    });
    expect(la.usage).toMatchObject({ month: "2026-10", seconds: 2 });
    const history = await suite.api.usage.getUsageHistory({ userId });
    expect(history.map((m) => [m.month, m.seconds])).toEqual([
      ["2026-11", 1],
      ["2026-10", 2],
    ]);
  });
});
