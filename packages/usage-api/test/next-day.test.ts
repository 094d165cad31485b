import { queryRows } from "@usagekit/db";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { prepareNextDay } from "../src/rollups/next-day";
import { refreshRollups } from "../src/rollups/refresh";
import { callerFor, dbKinds, newUserId, openTestDb, useTestDb } from "./db";
import { runsOutOf } from "./helpers";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
// Tokyo's 15 November, 21:00; its midnight is 15:00 UTC.
const NOW = new Date("2026-11-15T12:00:00Z");
const AHEAD = new Date("2026-11-15T14:56:00Z");
const BEFORE = new Date("2026-11-15T14:59:00Z");
const TURNED = new Date("2026-11-15T15:00:30Z");
const at = (hhmmss: string) => new Date(`2026-11-15T${hhmmss}Z`);

/**
 * The server's timer makes a zone's forecasts for its new day before its midnight
 * (`prepareNextDay`), and the turn takes them as made: every change between the two must still
 * reach the first report of the new day — events, a plan, a zone left or joined, grants given
 * and expiring on either side of midnight, an erasure — as each learner's own forecast says.
 */
describe.each(dbKinds)("forecasts made ahead of a zone's midnight, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });
  const ahead = async (now: Date) => {
    const { doneId } = await refreshRollups(suite.handle.db, { tiers: defaultTiers });
    return prepareNextDay(suite.handle.db, { tiers: defaultTiers, now, doneId });
  };
  /** Each learner's `runsOut` in the report at `now`, beside their own forecast's. */
  const compare = async (now: Date, learners: string[]) => {
    const answer = await api(now).analytics.upgradeCandidates({ month: "2026-11", limit: 1000 });
    const runsOut = (userId: string) =>
      answer.candidates.find((c) => c.userId === userId)?.runsOut ?? [];
    for (const userId of learners)
      expect(runsOut(userId), userId).toEqual(
        runsOutOf(await api(now).usage.getForecast({ userId })),
      );
    return runsOut;
  };
  /** Two exports today (Free: 3 a month), in Tokyo unless said. */
  const learner = async (timezone = "Asia/Tokyo", now = NOW) => {
    const userId = newUserId();
    await api(now).usage.setUserPlan({ userId, tier: "free", timezone });
    await api(now).usage.recordUsage({ userId, ankiExports: 2, idempotencyKey: "x" });
    return userId;
  };

  it("answer at the turn as each learner's own forecast does, whatever changed since", async () => {
    const [steady, late, upgraded, granted, leaving, joining, erased] = [
      await learner(),
      await learner(),
      await learner(),
      await learner(),
      await learner(),
      await learner("UTC"),
      await learner(),
    ];
    const [expiresBefore, expiresAfter] = [await learner(), await learner()];
    for (const [userId, expiresAt] of [
      [expiresBefore, at("14:58:00")],
      [expiresAfter, at("15:00:10")],
    ] as const)
      await api().usage.grantUsage({
        userId,
        idempotencyKey: "g",
        feature: "ankiExports",
        amount: 10,
        expiresAt,
        reason: "a day's top-up",
      });
    const all = [steady, late, upgraded, granted, leaving, joining, erased, expiresBefore];
    all.push(expiresAfter);
    await compare(NOW, all);
    // Four minutes before Tokyo's midnight, its new day is made; a second call has nothing to do.
    expect(await ahead(AHEAD)).toBe(true);
    const [made] = await queryRows<{ zones: Record<string, string> }>(
      suite.handle.db,
      sql`SELECT zones FROM usagekit.forecast_next_state`,
    );
    expect(made!.zones).toEqual({ "Asia/Tokyo": "2026-11-16" });
    // Then, before midnight: an event, a plan, a grant, a zone left and one joined, an erasure.
    await api(at("14:57:00")).usage.recordUsage({ userId: late, ankiExports: 1 });
    await api(at("14:57:00")).usage.setUserPlan({ userId: upgraded, tier: "pro" });
    await api(at("14:57:00")).usage.grantUsage({
      userId: granted,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 10,
      reason: "top-up",
    });
    await api(at("14:57:00")).usage.setUserPlan({ userId: leaving, tier: "free", timezone: "UTC" });
    await api(at("14:57:00")).usage.setUserPlan({
      userId: joining,
      tier: "free",
      timezone: "Asia/Tokyo",
    });
    await api(at("14:57:00")).usage.eraseUser({ userId: erased });
    // A report before midnight sees them all (and must not lose them for the new day).
    await compare(BEFORE, all);
    expect(await ahead(BEFORE)).toBe(true);
    // Half a minute into Tokyo's 16 November.
    const runsOut = await compare(TURNED, all);
    // The unchanged learner, from the rows made ahead: 2 over their 2 known days, 1 a day.
    expect(runsOut(steady)).toEqual([
      { feature: "ankiExports", limit: 3, projected: 16, reachesLimitOn: "2026-11-17" },
    ]);
    // The late export reached the limit (today), at 3 over their 2 known days.
    expect(runsOut(late)).toEqual([
      { feature: "ankiExports", limit: 3, projected: 24, reachesLimitOn: "2026-11-16" },
    ]);
    for (const userId of [upgraded, erased]) expect(runsOut(userId)).toEqual([]);
    // Both grants expired by now: the limit is Free's 3 again, as for the unchanged learner.
    for (const userId of [expiresBefore, expiresAfter])
      expect(runsOut(userId)).toEqual(runsOut(steady));
    // And Tokyo's next day turns as any other (no day made ahead of it).
    await compare(new Date("2026-11-16T23:00:00Z"), all);
  });

  it("takes the rows made ahead at the turn, not made again", async () => {
    // Five days later (the first test's day is made already).
    const day = (hhmmss: string) => new Date(`2026-11-20T${hhmmss}Z`);
    const steady = await learner("Asia/Tokyo", day("12:00:00"));
    await compare(day("12:00:00"), [steady]);
    expect(await ahead(day("14:56:00"))).toBe(true);
    const late = await learner("UTC", day("14:58:00"));
    // Planted in the rows made ahead: the turn's report shows it.
    await suite.handle.db.execute(
      sql`UPDATE usagekit.forecasts_next SET projected = 999 WHERE user_id = ${steady}`,
    );
    const answer = await api(day("15:00:30")).analytics.upgradeCandidates({ month: "2026-11" });
    expect(answer.candidates.find((c) => c.userId === steady)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 3, projected: 999, reachesLimitOn: "2026-11-22" },
    ]);
    // A later report, after another learner's event, makes only that learner again — not one
    // whose event came between the day made ahead and the turn (planted after the turn).
    await suite.handle.db.execute(
      sql`UPDATE usagekit.forecasts SET projected = 998 WHERE user_id = ${late}`,
    );
    const other = await learner("UTC", day("15:01:00"));
    const later = await api(day("15:02:00")).analytics.upgradeCandidates({ month: "2026-11" });
    expect(later.candidates.find((c) => c.userId === late)?.runsOut[0]?.projected).toBe(998);
    expect(later.candidates.some((c) => c.userId === other)).toBe(true);
    // No learner of Tokyo was made again at that turn: its next one is seen all the same.
    await compare(new Date("2026-11-21T23:00:00Z"), [steady]);
  });

  it("drops at the turn a learner who no longer reaches a limit on the new day", async () => {
    // Tokyo learners with 1 or 2 exports on one early day of November each, nothing since: as
    // their idle days grow, some stop reaching Free's 3 — on the day turning here.
    const day = (hhmmss: string) => new Date(`2026-11-25T${hhmmss}Z`);
    const fading: string[] = [];
    for (let d = 1; d <= 24; d++)
      for (const ankiExports of [1, 2]) {
        const userId = newUserId();
        const then = new Date(`2026-11-${String(d).padStart(2, "0")}T03:00:00Z`);
        await api(then).usage.setUserPlan({ userId, tier: "free", timezone: "Asia/Tokyo" });
        await api(then).usage.recordUsage({ userId, ankiExports, occurredAt: then });
        fading.push(userId);
      }
    const before = await compare(day("12:00:00"), fading);
    expect(await ahead(day("14:56:00"))).toBe(true);
    const after = await compare(day("15:00:30"), fading);
    const dropped = fading.filter((u) => before(u).length > 0 && after(u).length === 0);
    expect(dropped.length).toBeGreaterThan(0);
  });
});

describe.runIf(DATABASE_URL)("forecasts made ahead and the refreshes beside them", () => {
  it("keep the marks while a day is being made, and make none while a refresh runs", async () => {
    const handle = await openTestDb("postgres", { max: 4 });
    const admin = postgres(handle.url!, { max: 1, onnotice: () => {} });
    try {
      const api = (now = NOW) => callerFor(handle, { now: () => now });
      const userId = "learner-marked";
      await api().usage.setUserPlan({ userId, tier: "free", timezone: "Asia/Tokyo" });
      await api().usage.recordUsage({ userId, ankiExports: 2 });
      await api().analytics.upgradeCandidates({ month: "2026-11" });
      const marks = async (q: postgres.Sql | postgres.TransactionSql = admin) =>
        (await q`SELECT count(*)::int AS n FROM usagekit.forecast_dirty`)[0]!.n as number;
      // A day being made (its state row held, as prepareNextDay holds it): a plan changes, and
      // the report's refresh makes the learner again but leaves the mark for the turn.
      await admin.begin(async (tx) => {
        await tx`SELECT 1 FROM usagekit.forecast_next_state FOR UPDATE`;
        await api(BEFORE).usage.setUserPlan({ userId, tier: "pro" });
        await api(BEFORE).analytics.upgradeCandidates({ month: "2026-11" });
        expect(await marks(tx)).toBe(1);
      });
      // No day made ahead: the next refresh takes it.
      await api(BEFORE).analytics.upgradeCandidates({ month: "2026-11" });
      expect(await marks()).toBe(0);
      // A refresh in flight (holding the row for share): no day is made beside it.
      const { doneId } = await refreshRollups(handle.db, { tiers: defaultTiers });
      await admin.begin(async (tx) => {
        await tx`SELECT 1 FROM usagekit.forecast_next_state FOR SHARE`;
        expect(await prepareNextDay(handle.db, { tiers: defaultTiers, now: AHEAD, doneId })).toBe(
          false,
        );
      });
      expect(await prepareNextDay(handle.db, { tiers: defaultTiers, now: AHEAD, doneId })).toBe(
        true,
      );
      expect((await admin`SELECT zones FROM usagekit.forecast_next_state`)[0]!.zones).toEqual({
        "Asia/Tokyo": "2026-11-16",
      });
    } finally {
      await admin.end();
      await handle.close();
    }
  });
});
