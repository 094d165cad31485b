import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { refusalOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const noon = (d: string) => new Date(`${d}T12:00:00Z`);

/**
 * The edges of the forecast's days (the habit window of 28 days, the month's first day, a day
 * before the window), of the candidates' month plan (ties, the latest refusal, a learner with
 * only refusals) and of their order (the tie-breakers at the `limit` cut). Every expected figure
 * is computed by hand in the comments.
 */
describe.each(dbKinds)("forecast and candidates at their edges on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });
  /** Conversations recorded at noon of `day`, with the clock there. */
  const talk = (userId: string, day: string, conversations: number) =>
    api(noon(day)).usage.recordUsage({ userId, conversations, occurredAt: noon(day) });
  /** An attempt the free plan refuses (Anki exports past 3, or realtime sessions past 5). */
  const refused = (userId: string, at: Date, key: string, ask: object) =>
    refusalOf(
      api(at).usage.recordUsage({ userId, idempotencyKey: key, enforceLimits: true, ...ask }),
    );
  /** 10 conversations granted on the 1st, expiring at the suite's clock. */
  const promoUntilNow = (userId: string) =>
    api(noon("2026-11-01")).usage.grantUsage({
      userId,
      idempotencyKey: "promo",
      feature: "conversations",
      amount: 10,
      expiresAt: NOW,
      reason: "promo",
    });
  const conversations = async (userId: string, now = NOW) =>
    (await api(now).usage.getForecast({ userId })).features.conversations;

  it("reads the learner's days at the habit window's edges", async () => {
    // Conversations on two days, the forecast on the second (none reaches the 20 this month).
    const cases: { days: [string, number][]; used: number; projected: number }[] = [
      // 29 October: 6 on the 1st (today − 28: not recent) and 6 today. 12 on 2 active days, 1
      // recent of 28 known: 6 × 1/28 a day for 2 days → 12.4 → 12.
      {
        days: [
          ["2026-10-01", 6],
          ["2026-10-29", 6],
        ],
        used: 12,
        projected: 12,
      },
      // 18 October is today − 28: known for 28 days, 1 recent: 4 × 1/28 × 15 → 6.1 → 6.
      {
        days: [
          ["2026-10-18", 2],
          ["2026-11-15", 4],
        ],
        used: 4,
        projected: 6,
      },
      // 19 October is today − 27: recent, and known from it (28 days): 4 × 2/28 × 15 → 8.3 → 8.
      {
        days: [
          ["2026-10-19", 2],
          ["2026-11-15", 4],
        ],
        used: 4,
        projected: 8,
      },
      // The month's first day counts: 8 on 2 active days, 2 recent of 15 known → 4 × 2/15 × 15
      // = 8 more → 16.
      {
        days: [
          ["2026-11-01", 4],
          ["2026-11-15", 4],
        ],
        used: 8,
        projected: 16,
      },
    ];
    for (const { days, used, projected } of cases) {
      const userId = newUserId();
      for (const [day, n] of days) await talk(userId, day, n);
      expect(await conversations(userId, noon(days[1]![0]))).toEqual({
        used,
        limit: 20,
        projected,
        reachesLimitOn: null,
      });
    }
  });

  it("knows a new learner from their own first day, whatever others did before", async () => {
    const [old, fresh] = [newUserId(), newUserId()];
    await talk(old, "2026-09-01", 1);
    // 2 exports today, nothing before: 2 a day (1 day known) → 2 + 30 = 32; the 3rd tomorrow.
    await api().usage.recordUsage({ userId: fresh, ankiExports: 2 });
    const forecast = await api().usage.getForecast({ userId: fresh });
    expect(forecast.features.ankiExports).toEqual({
      used: 2,
      limit: 3,
      projected: 32,
      reachesLimitOn: "2026-11-16",
    });
  });

  it("counts no grant that expires at the clock", async () => {
    const userId = newUserId();
    await promoUntilNow(userId);
    // 8 yesterday and 8 today: 8 a day → 16 + 120 = 136; the 20 (no grant) reached tomorrow.
    await talk(userId, "2026-11-14", 8);
    await talk(userId, "2026-11-15", 8);
    const expected = { limit: 20, projected: 136, reachesLimitOn: "2026-11-16" };
    const { candidates } = await api().analytics.upgradeCandidates({
      month: "2026-11",
      limit: 1000,
    });
    expect(candidates.find((c) => c.userId === userId)?.runsOut).toEqual([
      { feature: "conversations", ...expected },
    ]);
    expect(await conversations(userId)).toEqual({ used: 16, ...expected });
  });

  it("drops a kept forecast's grant at the instant it expires, the learner unchanged since", async () => {
    const userId = newUserId();
    await promoUntilNow(userId);
    // 8 yesterday and 8 this morning: 8 a day → 16 + 120 = 136.
    const morning = new Date("2026-11-15T08:00:00Z");
    await talk(userId, "2026-11-14", 8);
    await api(morning).usage.recordUsage({ userId, conversations: 8, occurredAt: morning });
    const report = async (now: Date) =>
      (
        await api(now).analytics.upgradeCandidates({ month: "2026-11", limit: 1000 })
      ).candidates.find((c) => c.userId === userId)?.runsOut;
    // An hour before the expiry, the grant counts: 30, reached on the 17th (24, then 32).
    expect(await report(new Date("2026-11-15T11:00:00Z"))).toEqual([
      { feature: "conversations", limit: 30, projected: 136, reachesLimitOn: "2026-11-17" },
    ]);
    // At the instant it expires (nothing recorded since), Free's 20 alone: reached tomorrow.
    const expected = { limit: 20, projected: 136, reachesLimitOn: "2026-11-16" };
    expect(await report(NOW)).toEqual([{ feature: "conversations", ...expected }]);
    expect(await conversations(userId)).toEqual({ used: 16, ...expected });
  });

  it("takes a month's plan from its latest event or later refusal, events first at a tie", async () => {
    const [onlyRefused, tie, latest, sameInstant, lists] = [1, 2, 3, 4, 5].map(() =>
      newUserId(),
    ) as [string, string, string, string, string];
    const october = noon("2026-10-10");
    // Only a refusal in October, on Free: Free, worth Plus's $9.99.
    await refused(onlyRefused, october, "r", { ankiExports: 4 });
    // At one instant: on Plus a conversation, then on Free a refusal: the event's Plus wins.
    await api(october).usage.setUserPlan({ userId: tie, tier: "plus" });
    await api(october).usage.recordUsage({ userId: tie, conversations: 1 });
    await api(october).usage.setUserPlan({ userId: tie, tier: "free" });
    await refused(tie, october, "r", { ankiExports: 4 });
    // 3 exports on the 10th, refused on Free on the 11th, refused on Plus (48 past 50) on the
    // 12th: the latest refusal's Plus.
    await api(october).usage.recordUsage({ userId: latest, ankiExports: 3 });
    await refused(latest, noon("2026-10-11"), "r1", { ankiExports: 1 });
    await api(new Date("2026-10-12T08:00:00Z")).usage.setUserPlan({
      userId: latest,
      tier: "plus",
    });
    await refused(latest, noon("2026-10-12"), "r2", { ankiExports: 48 });
    // Two refusals at one instant, on Free then on Plus: the later one's Plus.
    await refused(sameInstant, october, "r1", { ankiExports: 4 });
    await api(october).usage.setUserPlan({ userId: sameInstant, tier: "plus" });
    await refused(sameInstant, october, "r2", { ankiExports: 51 });
    // Refused once for realtime sessions, twice for exports: the most refused feature first.
    await refused(lists, october, "rt", { realtimeSessions: 6 });
    await refused(lists, october, "a1", { ankiExports: 4 });
    await refused(lists, october, "a2", { ankiExports: 4 });

    const { candidates } = await api(noon("2026-11-05")).analytics.upgradeCandidates({
      month: "2026-10",
      limit: 1000,
    });
    const of = (userId: string) => candidates.find((c) => c.userId === userId);
    expect(of(onlyRefused)).toEqual({
      userId: onlyRefused,
      tier: "free",
      refusals: [{ feature: "ankiExports", count: 1, limit: 3 }],
      overageSeconds: 0,
      overageMoney: "0.00",
      runsOut: [],
      worth: "9.99",
    });
    expect([of(tie)?.tier, of(tie)?.worth]).toEqual(["plus", "10.00"]);
    expect(of(latest)).toMatchObject({
      tier: "plus",
      refusals: [{ feature: "ankiExports", count: 2, limit: 50 }],
      worth: "10.00",
    });
    expect([of(sameInstant)?.tier, of(sameInstant)?.worth]).toEqual(["plus", "10.00"]);
    expect(of(lists)?.refusals).toEqual([
      { feature: "ankiExports", count: 2, limit: 3 },
      { feature: "realtimeSessions", count: 1, limit: 5 },
    ]);
  });

  it("cuts at the limit after the tie-breakers: refusals, then overage seconds", async () => {
    const prefix = newUserId();
    // June: two Free learners worth $9.99 each, refused once (…_a) and twice (…_b).
    const [a, b] = [`${prefix}_a`, `${prefix}_b`];
    const june = noon("2026-06-10");
    await refused(a, june, "1", { ankiExports: 4 });
    for (const k of ["1", "2"]) await refused(b, june, k, { ankiExports: 4 });
    const cut = async (month: string) =>
      (
        await api(noon("2026-11-05")).analytics.upgradeCandidates({ month, limit: 1 })
      ).candidates.map((c) => c.userId);
    expect(await cut("2026-06")).toEqual([b]);
    // July: $0.06 of overage each — 120 s past Plus's 10 h (…_x), 180 s past Pro's 50 h (…_y).
    const [x, y] = [`${prefix}_x`, `${prefix}_y`];
    const july = noon("2026-07-10");
    await api(july).usage.setUserPlan({ userId: x, tier: "plus" });
    await api(july).usage.setUserPlan({ userId: y, tier: "pro" });
    for (let n = 0; n < 6; n++) {
      await api(july).usage.recordUsage({ userId: x, seconds: 6020 });
      await api(july).usage.recordUsage({ userId: y, seconds: 30_030 });
    }
    const { candidates } = await api(noon("2026-11-05")).analytics.upgradeCandidates({
      month: "2026-07",
    });
    expect(candidates.map((c) => [c.userId, c.overageSeconds, c.worth])).toEqual([
      [y, 180, "0.06"],
      [x, 120, "0.06"],
    ]);
    expect(await cut("2026-07")).toEqual([y]);
  });
});
