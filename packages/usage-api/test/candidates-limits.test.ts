import { describe, expect, it } from "vitest";
import { defaultTiers, defineTiers } from "../src";
import type { Tiers } from "../src";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { runsOutOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const LAST_DAY = new Date("2026-11-30T12:00:00Z");
const day = (d: string) => new Date(`${d}T12:00:00Z`);

/** The default tiers, with Anki exports rolling over on Free for two months, at most 4. */
const tiers: Tiers = defineTiers({
  ...defaultTiers,
  free: { ...defaultTiers.free, ankiExports: { limit: 3, rollover: { months: 2, max: 4 } } },
});

describe.each(dbKinds)("upgradeCandidates: the limit each forecast runs to, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now, tiers });

  it("counts rollover (capped, idle months, the tier then), live grants only, taken grants, the last day", async () => {
    const [capped, downgraded, expired, taken, lastDay, both, switched] = [1, 2, 3, 4, 5, 6, 7].map(
      () => newUserId(),
    );
    // capped: 1 export in September, none in October (no row: its whole 3 roll), 6 in November.
    await api(day("2026-10-05")).usage.recordUsage({
      userId: capped!,
      ankiExports: 1,
      occurredAt: day("2026-09-20"),
    });
    for (const d of ["2026-11-14", "2026-11-15"])
      await api().usage.recordUsage({ userId: capped!, ankiExports: 3, occurredAt: day(d) });
    // downgraded: 1 export on Plus in October (50 of Plus), on Free since; 5 today.
    await api().usage.setUserPlan({ userId: downgraded!, tier: "plus" });
    await api().usage.recordUsage({
      userId: downgraded!,
      ankiExports: 1,
      occurredAt: day("2026-10-20"),
    });
    await api().usage.setUserPlan({ userId: downgraded!, tier: "free" });
    await api().usage.recordUsage({ userId: downgraded!, ankiExports: 5 });
    // expired: a grant of 10 conversations that expired on 10 November, a live one of 5; 16 used.
    const early = api(day("2026-11-01"));
    await early.usage.grantUsage({
      userId: expired!,
      idempotencyKey: "old",
      feature: "conversations",
      amount: 10,
      expiresAt: day("2026-11-10"),
      reason: "promo",
    });
    await early.usage.grantUsage({
      userId: expired!,
      idempotencyKey: "live",
      feature: "conversations",
      amount: 5,
      reason: "top-up",
    });
    for (const d of ["2026-11-14", "2026-11-15"])
      await api().usage.recordUsage({ userId: expired!, conversations: 8, occurredAt: day(d) });
    // taken: a grant of 10 conversations, 25 used today (5 of them from the grant).
    await early.usage.grantUsage({
      userId: taken!,
      idempotencyKey: "g",
      feature: "conversations",
      amount: 10,
      reason: "top-up",
    });
    await api().usage.recordUsage({ userId: taken!, conversations: 25 });
    // lastDay: 1 conversation on 28 October, 8 today.
    await api().usage.recordUsage({
      userId: lastDay!,
      conversations: 1,
      occurredAt: day("2026-10-28"),
    });
    await api().usage.recordUsage({ userId: lastDay!, conversations: 8 });
    // both: 20 conversations (all of Free's) and 2 exports today.
    await api().usage.recordUsage({ userId: both!, conversations: 20, ankiExports: 2 });
    // switched: 11 hours on Free today, then Plus (the month's plan is still Free).
    await api().usage.recordUsage({ userId: switched!, seconds: 11 * 3600 });
    await api().usage.setUserPlan({ userId: switched!, tier: "plus" });

    const mine = [capped, downgraded, expired, taken, lastDay, both, switched] as string[];
    const answer = await api().analytics.upgradeCandidates({ month: "2026-11", limit: 1000 });
    const of = (userId: string | undefined) => answer.candidates.find((c) => c.userId === userId);

    // capped: September leaves 2, October adds its 3: 5, at most 4 → 3 + 4 = 7. 6 used on 2 of
    // 28 days: 3 × 2/28 a day; 1 left → 5 days → the 20th; 6 + 15 × 3/14 → 9.
    expect(of(capped)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 7, projected: 9, reachesLimitOn: "2026-11-20" },
    ]);
    // downgraded: October's 49 left of Plus's 50, at most 4 → 7. 5 today, 2 of 27 days known:
    // 5 × 2/27 a day; 2 left → 5.4 → 6 days → the 21st; 5 + 15 × 10/27 = 10.56 → 11.
    expect(of(downgraded)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 7, projected: 11, reachesLimitOn: "2026-11-21" },
    ]);
    // expired: 20 of Free and the live 5 → 25; 8 a day from 16 → the 17th.
    expect(of(expired)?.runsOut).toEqual([
      { feature: "conversations", limit: 25, projected: 136, reachesLimitOn: "2026-11-17" },
    ]);
    // taken: 20 + the 5 taken this month + the 5 left → 30; 25 a day → the 16th.
    expect(of(taken)?.runsOut).toEqual([
      { feature: "conversations", limit: 30, projected: 400, reachesLimitOn: "2026-11-16" },
    ]);
    // lastDay: 8 × 2/19 a day; 12 left → 14.25 → 15 days → the 30th, the month's last day.
    expect(of(lastDay)?.runsOut).toEqual([
      { feature: "conversations", limit: 20, projected: 21, reachesLimitOn: "2026-11-30" },
    ]);
    // both: conversations reached today, exports (3) tomorrow: the soonest first.
    expect(of(both)?.runsOut).toEqual([
      { feature: "conversations", limit: 20, projected: 320, reachesLimitOn: "2026-11-15" },
      { feature: "ankiExports", limit: 3, projected: 32, reachesLimitOn: "2026-11-16" },
    ]);
    // switched: the month's plan is Free (its last event's); Plus's 10 hours already passed, so
    // worth is Free → Plus (9.99), with no overage (Free has none).
    expect(of(switched)).toMatchObject({
      tier: "free",
      overageMoney: "0.00",
      worth: "9.99",
      runsOut: [{ feature: "seconds", limit: 36_000, reachesLimitOn: "2026-11-15" }],
    });

    // Each agrees with the learner's own forecast.
    for (const userId of mine)
      expect(of(userId)?.runsOut ?? []).toEqual(
        runsOutOf(await api().usage.getForecast({ userId })),
      );
  });

  it("a limit used exactly, with no recent pace, is reached today", async () => {
    // 10 custom phrases (Free's 10) on the 1st and 2nd; on the 30th no active day in the last 28.
    const still = newUserId();
    for (const d of ["2026-11-01", "2026-11-02"])
      await api().usage.recordUsage({ userId: still, customPhrases: 5, occurredAt: day(d) });
    const answer = await api(LAST_DAY).analytics.upgradeCandidates({
      month: "2026-11",
      limit: 1000,
    });
    expect(answer.candidates.find((c) => c.userId === still)?.runsOut).toEqual([
      { feature: "customPhrases", limit: 10, projected: 10, reachesLimitOn: "2026-11-30" },
    ]);
    const forecast = await api(LAST_DAY).usage.getForecast({ userId: still });
    expect(forecast.features.customPhrases?.reachesLimitOn).toBe("2026-11-30");
  });

  it("a new learner's one use a day reaches a limit the day the days left allow, no later", async () => {
    // First active on the 26th with 1 realtime session (Free's 5): a pace of 1 a day reaches
    // 5 on the 30th, the month's last day — 1 + the 4 days left is just enough.
    const fresh = newUserId();
    const on26 = day("2026-11-26");
    await api(on26).usage.recordUsage({ userId: fresh, realtimeSessions: 1, occurredAt: on26 });
    const answer = await api(on26).analytics.upgradeCandidates({ month: "2026-11", limit: 1000 });
    expect(answer.candidates.find((c) => c.userId === fresh)?.runsOut).toEqual([
      { feature: "realtimeSessions", limit: 5, projected: 5, reachesLimitOn: "2026-11-30" },
    ]);
    const forecast = await api(on26).usage.getForecast({ userId: fresh });
    expect(forecast.features.realtimeSessions?.reachesLimitOn).toBe("2026-11-30");
  });
});
