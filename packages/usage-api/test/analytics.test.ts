import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@usagekit/db";
import { defaultTiers, features } from "../src";
import type { Feature, TierName } from "../src";
import { callerFor, dbKinds, openTestDb } from "./db";
import { trpcError } from "./helpers";
import { buildPopulation, popMonths } from "./population";
import type { PopEvent, Population } from "./population";

const NOW = new Date("2026-11-05T12:00:00Z");
const MONTH = "2026-10";
const tiers = ["free", "plus", "pro"] as const;
const monthOf = (d: Date) => d.toISOString().slice(0, 7);
const rate = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
const amount = (e: PopEvent, f: Feature) => e.amounts[f] ?? 0;

// Reference computations over the generated population: a second, plain implementation.
const reference = {
  inMonth: (p: Population, month: string) =>
    p.events.filter((e) => monthOf(e.occurredAt) === month),

  adoption(p: Population, month: string) {
    const latest = new Map<string, PopEvent>();
    const used = new Map<string, Set<Feature>>();
    for (const e of this.inMonth(p, month)) {
      if (!latest.has(e.userId) || latest.get(e.userId)!.occurredAt <= e.occurredAt)
        latest.set(e.userId, e);
      const set = used.get(e.userId) ?? new Set<Feature>();
      for (const f of features) if (amount(e, f) > 0) set.add(f);
      used.set(e.userId, set);
    }
    return tiers.map((tier) => {
      const ids = [...latest].filter(([, e]) => e.tier === tier).map(([id]) => id);
      return {
        tier,
        activeUsers: ids.length,
        features: Object.fromEntries(
          features.map((f) => {
            const users = ids.filter((id) => used.get(id)!.has(f)).length;
            return [f, { users, rate: rate(users, ids.length) }];
          }),
        ),
      };
    });
  },

  /** Each active user of the month: the tier of their latest event and their amounts. */
  monthUsers(p: Population, month: string) {
    const users = new Map<string, { tier: TierName; at: Date; amounts: Record<Feature, number> }>();
    for (const e of this.inMonth(p, month)) {
      const u = users.get(e.userId) ?? {
        tier: e.tier,
        at: e.occurredAt,
        amounts: Object.fromEntries(features.map((f) => [f, 0])) as Record<Feature, number>,
      };
      if (u.at <= e.occurredAt) Object.assign(u, { tier: e.tier, at: e.occurredAt });
      for (const f of features) u.amounts[f] += amount(e, f);
      users.set(e.userId, u);
    }
    return users;
  },

  value(p: Population, month: string, previous: string) {
    const now = this.monthUsers(p, month);
    const before = [...this.monthUsers(p, previous)];
    return tiers.map((tier) => {
      const mine = [...now.values()].filter((u) => u.tier === tier);
      const back = (used: boolean, f: Feature) => {
        const group = before.filter(([, u]) => u.tier === tier && u.amounts[f] > 0 === used);
        const share = group.filter(([id]) => now.has(id)).length / group.length;
        return group.length === 0 ? null : Math.round(share * 10_000) / 10_000;
      };
      const entry = (f: Feature) => {
        const users = mine.filter((u) => u.amounts[f] > 0);
        const sum = users.reduce((n, u) => n + u.amounts[f], 0);
        return {
          users: users.length,
          adoption: rate(users.length, mine.length),
          perUser: users.length === 0 ? 0 : Math.round((sum / users.length) * 100) / 100,
          retainedWith: back(true, f),
          retainedWithout: back(false, f),
        };
      };
      return {
        tier,
        activeUsers: mine.length,
        features: Object.fromEntries(features.map((f) => [f, entry(f)])),
      };
    });
  },

  secondsByUser(p: Population, month: string) {
    const seconds = new Map<string, number>();
    for (const e of this.inMonth(p, month))
      seconds.set(e.userId, (seconds.get(e.userId) ?? 0) + amount(e, "seconds"));
    return seconds;
  },

  /** Overage seconds per user: replayed per user-month in recording order at the tier's soft limit. */
  overage(p: Population, month: string) {
    const run = new Map<string, number>();
    const over = new Map<string, { tier: TierName; seconds: number }>();
    for (const e of this.inMonth(p, month)) {
      const { limit, overage } = defaultTiers[e.tier].seconds;
      const before = run.get(e.userId) ?? 0;
      const after = before + amount(e, "seconds");
      run.set(e.userId, after);
      if (!overage || limit === null) continue;
      const delta = Math.max(0, after - limit) - Math.max(0, before - limit);
      const entry = over.get(e.userId) ?? { tier: e.tier, seconds: 0 };
      entry.seconds += delta;
      over.set(e.userId, entry);
    }
    return new Map([...over].filter(([, o]) => o.seconds > 0));
  },
};

const cents = (seconds: number, tier: TierName) => {
  const o = defaultTiers[tier].seconds.overage!;
  return Math.round((seconds * Math.round(Number(o.price) * 100)) / o.perUnits);
};
const money = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`;

describe.each(dbKinds)("analytics on a known population on %s", (kind) => {
  let handle: DbHandle;
  let pop: Population;
  let api: ReturnType<typeof callerFor>;
  beforeAll(async () => {
    handle = await openTestDb(kind);
    pop = await buildPopulation(handle);
    api = callerFor(handle, { now: () => NOW });
  }, 600_000);
  afterAll(() => handle.close());

  it("generated what was planted", () => {
    expect(pop.users).toHaveLength(300);
    expect(pop.events.length).toBeGreaterThan(2_000);
    expect(pop.refusals.length).toBe(15 * 6 * 2); // 15 limit-hitters × 6 months × 2 refused exports
  });

  it("featureAdoption: per tier, active users and who used each feature", async () => {
    const answer = await api.analytics.featureAdoption({ month: MONTH });
    expect(answer).toEqual({ month: MONTH, tiers: reference.adoption(pop, MONTH) });
    const plus = answer.tiers.find((t) => t.tier === "plus")!;
    // Upgraders are counted on plus from their upgrade on; the limit-hitters all exported.
    expect(plus.activeUsers).toBeGreaterThanOrEqual(20);
    expect(
      answer.tiers.find((t) => t.tier === "free")!.features.ankiExports.users,
    ).toBeGreaterThanOrEqual(15);
  });

  it("featureValue: per tier and feature, use and return against a plain recount", async () => {
    const answer = await api.analytics.featureValue({ month: MONTH });
    expect(answer).toEqual({
      month: MONTH,
      previousMonth: "2026-09",
      tiers: reference.value(pop, MONTH, "2026-09"),
    });
    // Nobody was active the month before the population's first month: no return to measure.
    const first = await api.analytics.featureValue({ month: popMonths[0]! });
    for (const t of first.tiers)
      for (const f of features) {
        expect(t.features[f].retainedWith).toBeNull();
        expect(t.features[f].retainedWithout).toBeNull();
      }
    // The pro power users use practice time heavily and all came back.
    const pro = answer.tiers.find((t) => t.tier === "pro")!;
    expect(pro.features.seconds.perUser).toBeGreaterThan(3600);
    expect(pro.features.seconds.retainedWith).toBeGreaterThan(0.5);
  });

  it("userSegments: power / regular / casual by seconds, with thresholds", async () => {
    const answer = await api.analytics.userSegments({ month: MONTH });
    const seconds = reference.secondsByUser(pop, MONTH);
    const segmentOf = (s: number) => (s >= 36_000 ? "power" : s >= 3_600 ? "regular" : "casual");
    const expected = (["power", "regular", "casual"] as const).map((segment) => {
      const members = [...seconds.values()].filter((s) => segmentOf(s) === segment);
      return {
        segment,
        users: members.length,
        share: rate(members.length, seconds.size),
        totalSeconds: members.reduce((a, b) => a + b, 0),
      };
    });
    expect(answer.thresholds).toEqual({ powerSeconds: 36_000, regularSeconds: 3_600 });
    expect(answer.activeUsers).toBe(seconds.size);
    expect(answer.segments).toEqual(expected);
    const top = [...seconds].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10);
    expect(answer.topUsers).toEqual(top.map(([userId, s]) => ({ userId, seconds: s })));
    // Every planted power user is a power user, and they are the top ten.
    const planted = pop.users
      .filter((u) => u.kind === "power")
      .map((u) => u.id)
      .sort();
    expect(answer.topUsers.map((u) => u.userId).sort()).toEqual(planted);
    expect(answer.segments[0]!.users).toBeGreaterThanOrEqual(10);
    // Other thresholds are honoured.
    const custom = await api.analytics.userSegments({
      month: MONTH,
      powerSeconds: 100_000,
      regularSeconds: 50_000,
    });
    expect(custom.segments.map((s) => s.users)).toEqual([
      [...seconds.values()].filter((s) => s >= 100_000).length,
      [...seconds.values()].filter((s) => s >= 50_000 && s < 100_000).length,
      [...seconds.values()].filter((s) => s < 50_000).length,
    ]);
  });

  it("retention: cohort table split by first-month features", async () => {
    const answer = await api.analytics.retention({ fromMonth: popMonths[0]!, months: 6 });
    const first = new Map<string, string>();
    const active = new Map<string, Set<string>>();
    const firstFeatures = new Map<string, Set<Feature>>();
    for (const e of pop.events) {
      const m = monthOf(e.occurredAt);
      if (!first.has(e.userId) || first.get(e.userId)! > m) first.set(e.userId, m);
      active.set(e.userId, (active.get(e.userId) ?? new Set()).add(m));
    }
    for (const e of pop.events) {
      if (monthOf(e.occurredAt) !== first.get(e.userId)) continue;
      const set = firstFeatures.get(e.userId) ?? new Set<Feature>();
      for (const f of features) if (amount(e, f) > 0) set.add(f);
      firstFeatures.set(e.userId, set);
    }
    const series = (cohort: string, span: number, members: string[]) => ({
      users: members.length,
      retention: Array.from({ length: span }, (_, k) =>
        rate(
          members.filter((id) => active.get(id)!.has(popMonths[popMonths.indexOf(cohort) + k]!))
            .length,
          members.length,
        ),
      ),
    });
    const expected = popMonths.map((cohort, i) => {
      const members = [...first].filter(([, m]) => m === cohort).map(([id]) => id);
      return {
        month: cohort,
        ...series(cohort, 6 - i, members),
        byFeature: Object.fromEntries(
          features.map((f) => [
            f,
            series(
              cohort,
              6 - i,
              members.filter((id) => firstFeatures.get(id)!.has(f)),
            ),
          ]),
        ),
      };
    });
    expect(answer).toEqual({ fromMonth: popMonths[0], months: 6, cohorts: expected });
    // The 30 churners are in the first cohort and gone from its third month.
    const may = answer.cohorts[0]!;
    expect(may.retention[0]).toBe(1);
    expect(may.retention[2]!).toBeLessThan(may.retention[1]!);
  });

  it("dropOff: conversations started vs completed, and who went quiet", async () => {
    const answer = await api.analytics.dropOff({ month: MONTH });
    const october = reference.inMonth(pop, MONTH);
    const asOf = new Date("2026-11-01T00:00:00Z");
    const last = new Map<string, number>();
    for (const e of pop.events)
      last.set(e.userId, Math.max(last.get(e.userId) ?? 0, e.occurredAt.getTime()));
    const quiet = (days: number) =>
      [...last.values()].filter((t) => t < asOf.getTime() - days * 86_400_000).length;
    const started = october.reduce((a, e) => a + amount(e, "conversations"), 0);
    const completed = october.reduce((a, e) => a + amount(e, "completedSessions"), 0);
    expect(answer).toEqual({
      month: MONTH,
      asOf,
      conversationsStarted: started,
      sessionsCompleted: completed,
      completionRate: rate(completed, started),
      activeUsers: new Set(october.map((e) => e.userId)).size,
      inactive: { days7: quiet(7), days14: quiet(14), days30: quiet(30), knownUsers: last.size },
    });
    // Every churner has been gone for more than 30 days.
    expect(answer.inactive.days30).toBeGreaterThanOrEqual(30);
  });

  it("overage: seconds past the soft limit per user and tier, billed exactly", async () => {
    const answer = await api.analytics.overage({ month: MONTH, limit: 1000 });
    const over = reference.overage(pop, MONTH);
    const users = [...over]
      .map(([userId, o]) => ({
        userId,
        tier: o.tier,
        overageSeconds: o.seconds,
        amount: money(cents(o.seconds, o.tier)),
        units: { seconds: o.seconds },
      }))
      // The most money first (every billable feature together), then the most seconds.
      .sort(
        (a, b) =>
          cents(b.overageSeconds, b.tier) - cents(a.overageSeconds, a.tier) ||
          b.overageSeconds - a.overageSeconds ||
          a.userId.localeCompare(b.userId),
      );
    expect(answer.users).toEqual(users);
    for (const t of answer.byTier) {
      const mine = users.filter((u) => u.tier === t.tier);
      expect(t).toMatchObject({
        users: mine.length,
        overageSeconds: mine.reduce((a, u) => a + u.overageSeconds, 0),
        amount: money(mine.reduce((a, u) => a + cents(u.overageSeconds, u.tier), 0)),
      });
    }
    expect(answer.total).toBe(
      money(users.reduce((a, u) => a + cents(u.overageSeconds, u.tier), 0)),
    );
    // The ten planted overage users (12 h on plus) ran 2 h over each: 7,200 s = $3.60.
    const planted = pop.users.filter((u) => u.kind === "overage").map((u) => u.id);
    for (const id of planted)
      expect(answer.users.find((u) => u.userId === id)).toMatchObject({
        overageSeconds: 7_200,
        amount: "3.60",
      });
  });

  it("upgradeCandidates: who hit a hard limit or ran overage, what they hit, by worth", async () => {
    const answer = await api.analytics.upgradeCandidates({ month: MONTH, limit: 1000 });
    const over = reference.overage(pop, MONTH);
    const refused = new Map<string, number>();
    for (const r of pop.refusals)
      if (monthOf(r.occurredAt) === MONTH) refused.set(r.userId, (refused.get(r.userId) ?? 0) + 1);
    // The month's plan: the tier of the user's latest event in it, refusals included (an event
    // over a refusal at the same instant: refusals are read first, so the event comes later).
    const monthPlan = new Map<string, { at: Date; tier: TierName }>();
    for (const e of [...pop.refusals, ...reference.inMonth(pop, MONTH)]) {
      const seen = monthPlan.get(e.userId);
      if (monthOf(e.occurredAt) === MONTH && (!seen || seen.at <= e.occurredAt))
        monthPlan.set(e.userId, { at: e.occurredAt, tier: e.tier });
    }
    // Worth: the overage money, plus a month of the next tier's price over theirs when refused
    // (Free → Plus $9.99, Plus → Pro $10.00, Pro 0).
    const gain: Record<TierName, number> = { free: 999, plus: 1000, pro: 0 };
    const expected = [...new Set([...refused.keys(), ...over.keys()])]
      .map((userId) => {
        const tier = monthPlan.get(userId)!.tier;
        const o = over.get(userId);
        const overCents = o ? cents(o.seconds, o.tier) : 0;
        return {
          userId,
          tier,
          refusals: refused.has(userId)
            ? [{ feature: "ankiExports", count: refused.get(userId)!, limit: 3 }]
            : [],
          overageSeconds: o?.seconds ?? 0,
          overageMoney: money(overCents),
          runsOut: [],
          worth: money(overCents + (refused.has(userId) ? gain[tier] : 0)),
        };
      })
      .sort(
        (a, b) =>
          Number(b.worth) - Number(a.worth) ||
          (refused.get(b.userId) ?? 0) - (refused.get(a.userId) ?? 0) ||
          b.overageSeconds - a.overageSeconds ||
          a.userId.localeCompare(b.userId),
      );
    expect(answer).toEqual({ month: MONTH, candidates: expected });
    const hitters = pop.users
      .filter((u) => u.kind === "limitHitter")
      .map((u) => u.id)
      .sort();
    expect(
      answer.candidates
        .slice(0, 15)
        .map((c) => c.userId)
        .sort(),
    ).toEqual(hitters);
    expect((await api.analytics.upgradeCandidates({ month: MONTH, limit: 5 })).candidates).toEqual(
      expected.slice(0, 5),
    );
  });

  it("is for services only and checks its input", async () => {
    const user = callerFor(handle, { auth: { type: "user", userId: pop.users[0]!.id } });
    expect((await trpcError(user.analytics.overage({ month: MONTH }))).code).toBe("FORBIDDEN");
    const anonymous = callerFor(handle, { auth: { type: "anonymous" } });
    expect((await trpcError(anonymous.analytics.featureAdoption({ month: MONTH }))).code).toBe(
      "UNAUTHORIZED",
    );
    const bad = await trpcError(api.analytics.featureAdoption({ month: "2026-13" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("month");
    expect(
      (await trpcError(api.analytics.retention({ fromMonth: MONTH, months: 0 }))).message,
    ).toContain("months");
  });
});
