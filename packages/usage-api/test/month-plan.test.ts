import { describe, expect, it } from "vitest";
import type { DbHandle } from "@usagekit/db";
import { callerFor, dbKinds, useTestDb } from "./db";
import { trpcError } from "./helpers";

const MONTH = "2026-10";
const NOW = new Date("2026-11-05T12:00:00Z");
const at = (iso: string) => () => new Date(iso);

/**
 * One rule for a month's plan, in every answer: the tier of the user's latest event in that
 * month (a refusal counts as an event). Two learners whose plan today differs from October's:
 * one downgraded after a month on plus with overage, one refused on free and then upgraded.
 */
describe.each(dbKinds)("a month's plan on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (handle: DbHandle, when: string) => callerFor(handle, { now: at(when) }).usage;

  it("is the plan of the month's latest event in history, bills, adoption, value and candidates", async () => {
    const { handle } = suite;
    const [downgraded, upgraded] = ["user_downgraded", "user_upgraded"];
    await api(handle, "2026-10-01T08:00:00Z").setUserPlan({ userId: downgraded, tier: "plus" });
    // 11 hours on plus: one hour of overage in October.
    for (const [n, day] of ["2026-10-05", "2026-10-12"].entries())
      await api(handle, `${day}T12:00:00Z`).recordUsage({
        userId: downgraded,
        idempotencyKey: `d-${n}`,
        conversations: 1,
        seconds: 5.5 * 3600,
      });
    await api(handle, "2026-10-01T08:05:00Z").recordPayment({
      userId: downgraded,
      tier: "plus",
      amount: "9.99",
      paidAt: new Date("2026-10-01T08:05:00Z"),
      idempotencyKey: "october",
    });
    await api(handle, "2026-11-02T08:00:00Z").setUserPlan({ userId: downgraded, tier: "free" });

    for (let n = 0; n < 3; n++)
      await api(handle, "2026-10-10T12:00:00Z").recordUsage({
        userId: upgraded,
        idempotencyKey: `u-${n}`,
        ankiExports: 1,
        enforceLimits: true,
      });
    const refusal = await trpcError(
      api(handle, "2026-10-10T13:00:00Z").recordUsage({
        userId: upgraded,
        idempotencyKey: "u-refused",
        ankiExports: 1,
        enforceLimits: true,
      }),
    );
    expect(refusal.code).toBe("FORBIDDEN");
    await api(handle, "2026-10-20T08:00:00Z").setUserPlan({ userId: upgraded, tier: "plus" });
    await api(handle, "2026-10-21T12:00:00Z").recordUsage({
      userId: upgraded,
      idempotencyKey: "u-after",
      ankiExports: 1,
      enforceLimits: true,
    });

    const { usage, analytics } = suite.api;
    for (const userId of [downgraded, upgraded]) {
      const october = (await usage.getUsageHistory({ userId })).find((m) => m.month === MONTH);
      expect(october?.tierWhenUsed).toBe("plus");
    }
    expect((await usage.getCurrentUsage({ userId: downgraded })).tier).toBe("free");
    const candidates = (await analytics.upgradeCandidates({ month: MONTH })).candidates;
    expect(candidates.map((c) => [c.userId, c.tier]).sort()).toEqual([
      [downgraded, "plus"],
      [upgraded, "plus"],
    ]);
    const adoption = await analytics.featureAdoption({ month: MONTH });
    expect(adoption.tiers.map((t) => [t.tier, t.activeUsers])).toEqual([
      ["free", 0],
      ["plus", 2],
      ["pro", 0],
    ]);
    const value = await analytics.featureValue({ month: MONTH });
    const plus = value.tiers.find((t) => t.tier === "plus")!;
    expect(plus.activeUsers).toBe(2);
    expect(plus.features.ankiExports).toMatchObject({ users: 1, adoption: 0.5, perUser: 4 });
    expect(plus.features.seconds).toMatchObject({ users: 1, perUser: 11 * 3600 });
    const overage = await analytics.overage({ month: MONTH });
    expect(overage.byTier[1]).toMatchObject({ tier: "plus", overageSeconds: 3600 });
    // The bill says the same month, plan and overage money as the report: an hour at $0.03/min.
    expect(await usage.getBillingHistory({ userId: downgraded })).toEqual([
      {
        month: MONTH,
        tier: "plus",
        paid: "9.99",
        overage: overage.users.find((u) => u.userId === downgraded)!.amount,
        overageUnits: { seconds: 3600 },
        total: "11.79",
      },
    ]);
    expect(overage.users.find((u) => u.userId === downgraded)!.amount).toBe("1.80");
    expect(await usage.getBillingHistory({ userId: upgraded })).toEqual([
      {
        month: MONTH,
        tier: "plus",
        paid: "0.00",
        overage: "0.00",
        overageUnits: {},
        total: "0.00",
      },
    ]);
  });
});
