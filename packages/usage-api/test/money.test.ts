import { queryRows } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import type { TierName } from "../src";
import { callerFor, dbKinds, useTestDb } from "./db";

/**
 * Money agrees everywhere: for learners with overage in consecutive months, in a zone far from
 * UTC (Kiritimati, UTC+14: its months start ten hours before UTC's previous day ends), and with a
 * plan change mid-month, the bills, `analytics.overage` and the recommendations say what a plain
 * replay of the recorded events says, and their units are the monthly rows' `overageSeconds`.
 */
const ZONE = "Pacific/Kiritimati";
const NOW = new Date("2026-11-25T00:00:00Z");
const H = 3600;

type Event = { user: string; at: string; seconds: number; tier: TierName };
/** The plan each learner is on from an instant on (setUserPlan is called before the events). */
const plans: { user: string; at: string; tier: TierName }[] = [
  { user: "ana", at: "2026-10-01T00:00:00Z", tier: "plus" },
  { user: "ben", at: "2026-10-01T00:00:00Z", tier: "plus" },
  { user: "ben", at: "2026-11-15T00:00:00Z", tier: "pro" },
  { user: "cem", at: "2026-10-01T00:00:00Z", tier: "plus" },
];
const events: Omit<Event, "tier">[] = [
  // Ana: 30 min over in October, 60 min over in November (the review's case: $0.90 and $1.80).
  { user: "ana", at: "2026-10-03T00:00:00Z", seconds: 6 * H },
  { user: "ana", at: "2026-10-20T00:00:00Z", seconds: 4.5 * H },
  // 2026-10-31T11:00Z is 1 November 01:00 in Kiritimati: November's.
  { user: "ana", at: "2026-10-31T11:00:00Z", seconds: 6 * H },
  { user: "ana", at: "2026-11-10T00:00:00Z", seconds: 5 * H },
  // Ben: 2 h over in October on plus; in November 30 min over on plus, then pro from the 15th.
  { user: "ben", at: "2026-10-05T00:00:00Z", seconds: 12 * H },
  { user: "ben", at: "2026-11-02T00:00:00Z", seconds: 10.5 * H },
  { user: "ben", at: "2026-11-16T00:00:00Z", seconds: 40 * H },
  // Cem: 1 h over in October, 6 h over in November: plus + overage costs more than pro.
  { user: "cem", at: "2026-10-08T00:00:00Z", seconds: 11 * H },
  { user: "cem", at: "2026-11-08T00:00:00Z", seconds: 16 * H },
];

const tierAt = (user: string, at: string) =>
  plans.filter((p) => p.user === user && p.at <= at).at(-1)!.tier;
const localMonth = (at: string) => {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
  }).formatToParts(new Date(at));
  return `${parts.find((p) => p.type === "year")!.value}-${parts.find((p) => p.type === "month")!.value}`;
};

/** The plain replay: per learner and local month, each event's overage at its tier, in cents. */
function replay() {
  const bills = new Map<string, { units: number; cents: number }>();
  const used = new Map<string, number>();
  const perTier = new Map<string, number>();
  for (const e of events) {
    const tier = tierAt(e.user, e.at);
    const key = `${e.user} ${localMonth(e.at)}`;
    const before = used.get(key) ?? 0;
    used.set(key, before + e.seconds);
    const { limit, overage } = defaultTiers[tier].seconds;
    if (!overage || limit === null) continue;
    const units = Math.max(0, before + e.seconds - limit) - Math.max(0, before - limit);
    perTier.set(`${key} ${tier}`, (perTier.get(`${key} ${tier}`) ?? 0) + units);
  }
  for (const [k, units] of perTier) {
    const [user, month, tier] = k.split(" ") as [string, string, TierName];
    const o = defaultTiers[tier].seconds.overage!;
    const cents = Math.round((units * Math.round(Number(o.price) * 100)) / o.perUnits);
    const bill = bills.get(`${user} ${month}`) ?? { units: 0, cents: 0 };
    bills.set(`${user} ${month}`, { units: bill.units + units, cents: bill.cents + cents });
  }
  return bills;
}
const money = (cents: number) =>
  `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

describe.each(dbKinds)("money on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const at = (handle: DbHandle, iso: string) => callerFor(handle, { now: () => new Date(iso) });

  it("bills, analytics.overage and recommendations agree with a replay and the monthly rows", async () => {
    const { handle, api } = suite;
    const writes = [
      ...plans.map((p) => ({ ...p, kind: "plan" as const })),
      ...events.map((e) => ({ ...e, kind: "event" as const })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    for (const [n, w] of writes.entries()) {
      const caller = at(handle, w.at).usage;
      if (w.kind === "plan")
        await caller.setUserPlan({ userId: w.user, tier: w.tier, timezone: ZONE });
      else
        await caller.recordUsage({ userId: w.user, idempotencyKey: `e${n}`, seconds: w.seconds });
    }
    const expected = replay();
    expect(expected.get("ana 2026-10")).toEqual({ units: 1800, cents: 90 });
    expect(expected.get("ana 2026-11")).toEqual({ units: 3600, cents: 180 });
    expect(expected.get("ben 2026-11")).toEqual({ units: 3600, cents: 90 + 60 });

    // The monthly rows hold the same units.
    const rows = await queryRows<{ user: string; month: string; overage: number }>(
      handle.db,
      sql`SELECT user_id AS "user", to_char(month, 'YYYY-MM') AS "month", overage_seconds::int AS "overage"
        FROM usagekit.monthly_usage WHERE overage_seconds > 0`,
    );
    expect(new Map(rows.map((r) => [`${r.user} ${r.month}`, r.overage]))).toEqual(
      new Map([...expected].map(([k, v]) => [k, v.units])),
    );

    for (const user of ["ana", "ben", "cem"]) {
      const bills = await api.usage.getBillingHistory({ userId: user, months: 3 });
      for (const month of ["2026-10", "2026-11"]) {
        const bill = bills.find((b) => b.month === month)!;
        const want = expected.get(`${user} ${month}`) ?? { units: 0, cents: 0 };
        expect({
          user,
          month,
          overage: bill.overage,
          units: bill.overageUnits.seconds ?? 0,
        }).toEqual({
          user,
          month,
          overage: money(want.cents),
          units: want.units,
        });
      }
    }
    for (const month of ["2026-10", "2026-11"]) {
      const report = await api.analytics.overage({ month, limit: 100 });
      const mine = [...expected].filter(([k]) => k.endsWith(month));
      const perUser = new Map<string, number>();
      for (const u of report.users)
        perUser.set(u.userId, (perUser.get(u.userId) ?? 0) + Math.round(Number(u.amount) * 100));
      expect(perUser).toEqual(new Map(mine.map(([k, v]) => [k.split(" ")[0]!, v.cents])));
      expect(report.total).toBe(money(mine.reduce((a, [, v]) => a + v.cents, 0)));
    }
    // Cem: plus ($9.99) + $10.80 of November's overage costs more than pro ($19.99).
    const recs = await api.usage.getRecommendations({ userId: "cem" });
    expect(recs.find((r) => r.kind === "cheaperPlan")).toEqual({
      kind: "cheaperPlan",
      tier: "pro",
      overage: money(expected.get("cem 2026-11")!.cents),
      saves: "0.80",
    });
  });
});
