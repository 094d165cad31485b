import { describe, expect, it } from "vitest";
import { defaultTiers, defineTiers } from "../src";
import type { Tiers } from "../src";
import type { DbHandle } from "@usagekit/db";
import { prepareNextDay } from "../src/rollups/next-day";
import { refreshRollups } from "../src/rollups/refresh";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { runsOutOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

/**
 * The current month's candidates come from forecasts kept between reports: every change a
 * forecast depends on must reach them by the next report — events, plans, zones, grants given
 * and expiring, corrections, erasure, the turn of a local day or month, another catalog.
 */
describe.each(dbKinds)("upgradeCandidates' kept forecasts follow every change, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW, tiers?: Tiers) => callerFor(suite.handle, { now: () => now, tiers });

  it("answer as each learner's own forecast does after each change, report after report", async () => {
    const [granted, pacer, upgraded, expiring, moved, corrected, erased] = Array.from(
      { length: 7 },
      newUserId,
    ) as [string, string, string, string, string, string, string];
    const mine = [granted, pacer, upgraded, expiring, moved, corrected, erased];

    /** The report's `runsOut` of each learner, beside what their own forecast says. */
    const compare = async (now: Date, tiers?: Tiers) => {
      const month = now.toISOString().slice(0, 7);
      const answer = await api(now, tiers).analytics.upgradeCandidates({ month, limit: 1000 });
      const runsOut = (userId: string) =>
        answer.candidates.find((c) => c.userId === userId)?.runsOut ?? [];
      for (const userId of mine)
        expect(runsOut(userId), userId).toEqual(
          runsOutOf(await api(now, tiers).usage.getForecast({ userId })),
        );
      return runsOut;
    };

    // 2 exports today each (Free: 3 a month): 2 a day reaches the 3rd tomorrow.
    for (const userId of [granted, upgraded, moved, corrected, erased])
      await api().usage.recordUsage({ userId, ankiExports: 2, idempotencyKey: "x" });
    await api().usage.grantUsage({
      userId: expiring,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 10,
      expiresAt: new Date("2026-11-15T18:00:00Z"),
      reason: "a day's top-up",
    });
    await api().usage.recordUsage({ userId: expiring, ankiExports: 2 });
    // One conversation today: 16 by the end of the month, under Free's 20.
    await api().usage.recordUsage({ userId: pacer, conversations: 1 });
    let runsOut = await compare(NOW);
    const tomorrow = {
      feature: "ankiExports",
      limit: 3,
      projected: 32,
      reachesLimitOn: "2026-11-16",
    };
    expect(runsOut(granted)).toEqual([tomorrow]);
    expect(runsOut(expiring)).toEqual([{ ...tomorrow, limit: 13, reachesLimitOn: "2026-11-21" }]);
    expect(runsOut(pacer)).toEqual([]);

    // Each change below is seen by the next report.
    await api().usage.grantUsage({
      userId: granted,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 10,
      reason: "top-up",
    });
    await api().usage.recordUsage({ userId: pacer, conversations: 5 });
    await api().usage.setUserPlan({ userId: upgraded, tier: "pro" });
    await api().usage.setUserPlan({ userId: moved, tier: "free", timezone: "Pacific/Kiritimati" });
    await api().usage.correctUsage({
      userId: corrected,
      idempotencyKey: "undo-x",
      correctsKey: "x",
      reason: "exported twice by mistake",
      ankiExports: 2,
    });
    await api().usage.eraseUser({ userId: erased });
    runsOut = await compare(NOW);
    expect(runsOut(granted)).toEqual([{ ...tomorrow, limit: 13, reachesLimitOn: "2026-11-21" }]);
    expect(runsOut(pacer)).toEqual([
      { feature: "conversations", limit: 20, projected: 96, reachesLimitOn: "2026-11-18" },
    ]);
    // Kiritimati is a day ahead: its 16 November, the exports' day (15th) one of 2 known days:
    // 1 a day for 14 days.
    expect(runsOut(moved)).toEqual([{ ...tomorrow, projected: 16, reachesLimitOn: "2026-11-17" }]);
    for (const userId of [upgraded, corrected, erased]) expect(runsOut(userId)).toEqual([]);

    // The grant expires at 18:00 with nothing written: the limit falls back to 3.
    runsOut = await compare(new Date("2026-11-15T19:00:00Z"));
    expect(runsOut(expiring)).toEqual([tomorrow]);

    // The next day, nothing written: a day's pace over two known days.
    const next = new Date("2026-11-16T12:00:00Z");
    runsOut = await compare(next);
    expect(runsOut(pacer)).toEqual([
      { feature: "conversations", limit: 20, projected: 48, reachesLimitOn: "2026-11-21" },
    ]);

    // Another catalog: Free exports to 10 a month.
    const roomier = defineTiers({
      ...defaultTiers,
      free: { ...defaultTiers.free, ankiExports: { limit: 10 } },
    });
    runsOut = await compare(next, roomier);
    expect(runsOut(expiring)).toEqual([
      { feature: "ankiExports", limit: 10, projected: 16, reachesLimitOn: "2026-11-24" },
    ]);

    // A new month: nothing used yet, no one runs out.
    runsOut = await compare(new Date("2026-12-01T12:00:00Z"));
    for (const userId of mine) expect(runsOut(userId)).toEqual([]);
  });
});

/** A suite's clocked caller, and the first candidate of the report of `now`'s UTC month. */
function ranked(suite: { handle: DbHandle }) {
  const api = (now: Date) => callerFor(suite.handle, { now: () => now });
  const first = async (now: Date) =>
    (
      await api(now).analytics.upgradeCandidates({
        month: now.toISOString().slice(0, 7),
        limit: 1,
      })
    ).candidates[0];
  /**
   * Two New York learners past a limit at `at`: one on Free (3 exports), one on Free for their
   * 50 exports and on Plus since.
   */
  const freeAndUpgraded = async (at: Date, [onFree, onPlus]: [string, string]) => {
    for (const [userId, ankiExports] of [
      [onFree, 3],
      [onPlus, 50],
    ] as const) {
      await api(at).usage.setUserPlan({ userId, tier: "free", timezone: "America/New_York" });
      await api(at).usage.recordUsage({ userId, ankiExports });
    }
    await api(at).usage.setUserPlan({ userId: onPlus, tier: "plus" });
  };
  return { api, first, freeAndUpgraded };
}

describe.each(dbKinds)("upgradeCandidates' kept forecasts at a UTC month's turn, on %s", (kind) => {
  const suite = useTestDb(kind);
  const { api, first, freeAndUpgraded } = ranked(suite);

  it("rank by the month's plan of the report's UTC month, set anew when that month turns", async () => {
    // Two New York learners, each past a limit on their 30 November: one on Free, one on Plus
    // since, after a month of Free events (November's plan: Free; December's: Plus).
    const [onFree, onPlus] = ["learner-a", "learner-b"];
    const late = new Date("2026-11-30T23:00:00Z");
    await freeAndUpgraded(late, [onFree, onPlus]);
    // November: both ranked at Free's gain; the first by id.
    expect(await first(late)).toMatchObject({ userId: onFree, tier: "free", worth: "9.99" });
    // Two hours later it is December in UTC (still 30 November in New York, no day turned
    // there): the Plus learner ranks at Plus's gain now, ahead.
    expect(await first(new Date("2026-12-01T01:00:00Z"))).toMatchObject({
      userId: onPlus,
      tier: "plus",
      worth: "10.00",
    });
  });

  it("rank a learner there for their pace by the new UTC month's plan, with no day turned", async () => {
    // A month later, in Tokyo, on their 1 January (UTC's 31 December), 2 exports each: one
    // learner on Free (3: reached tomorrow), one on Free then Plus (50: reached on the 25th) —
    // whose plan is Free in UTC's December (their export's tier) and Plus in January (their tier).
    const [onFree, upgraded] = ["a-learner", "b-learner"];
    const evening = new Date("2026-12-31T16:00:00Z");
    for (const userId of [onFree, upgraded]) {
      await api(evening).usage.setUserPlan({ userId, tier: "free", timezone: "Asia/Tokyo" });
      await api(evening).usage.recordUsage({ userId, ankiExports: 2 });
    }
    await api(evening).usage.setUserPlan({ userId: upgraded, tier: "plus" });
    // UTC's December: both ranked at Free's gain (by pace alone); the first by id.
    expect(await first(new Date("2026-12-31T18:00:00Z"))).toMatchObject({
      userId: onFree,
      worth: "9.99",
    });
    // UTC's January, still Tokyo's 1 January (no day turned, nothing written): the upgraded
    // learner ranks at Plus's gain, ahead.
    expect(await first(new Date("2027-01-01T01:00:00Z"))).toMatchObject({
      userId: upgraded,
      tier: "plus",
      worth: "10.00",
      runsOut: [{ feature: "ankiExports", limit: 50, projected: 62, reachesLimitOn: "2027-01-25" }],
    });
  });
});

describe.each(dbKinds)("a kept forecast's plan after an upgrade, on %s", (kind) => {
  const suite = useTestDb(kind);
  const { api, first } = ranked(suite);

  it("is the month's plan again when the learner's row is made again", async () => {
    // Two Berlin learners at Free's 3 exports: both ranked at Free's gain, the first by id.
    const [a, b] = ["plan-a", "plan-b"];
    for (const userId of [a, b]) {
      await api(NOW).usage.setUserPlan({ userId, tier: "free", timezone: "Europe/Berlin" });
      await api(NOW).usage.recordUsage({ userId, ankiExports: 3 });
    }
    expect(await first(NOW)).toMatchObject({ userId: a, tier: "free", worth: "9.99" });
    // b moves to Plus and exports 47 more (50: Plus's limit): the month's plan is Plus now.
    const later = new Date("2026-11-15T13:00:00Z");
    await api(later).usage.setUserPlan({ userId: b, tier: "plus" });
    await api(later).usage.recordUsage({ userId: b, ankiExports: 47 });
    expect(await first(later)).toMatchObject({ userId: b, tier: "plus", worth: "10.00" });
  });
});

describe.each(dbKinds)("a day made ahead in one UTC month, taken in the next, on %s", (kind) => {
  const suite = useTestDb(kind);
  const { first, freeAndUpgraded } = ranked(suite);

  it("is made again for the new month's plan", async () => {
    // As at the UTC month's turn above, but New York's 30 November is made ahead (before its
    // midnight, 05:00 UTC) in UTC's November and first reported in UTC's December.
    const [onFree, onPlus] = ["ahead-a", "ahead-b"];
    const evening = new Date("2026-11-29T23:00:00Z");
    await freeAndUpgraded(evening, [onFree, onPlus]);
    expect(await first(evening)).toMatchObject({ userId: onFree, tier: "free", worth: "9.99" });
    const { doneId } = await refreshRollups(suite.handle.db, { tiers: defaultTiers });
    const beforeMidnight = new Date("2026-11-30T04:56:00Z");
    expect(
      await prepareNextDay(suite.handle.db, { tiers: defaultTiers, now: beforeMidnight, doneId }),
    ).toBe(true);
    expect(await first(new Date("2026-12-01T01:00:00Z"))).toMatchObject({
      userId: onPlus,
      tier: "plus",
      worth: "10.00",
    });
  });
});
