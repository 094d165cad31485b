import { queryRows } from "@usagekit/db";
import type { Db, DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCaller,
  createTRPCContext,
  defaultTiers,
  features,
  keepRollupsFresh,
  refreshRollups,
} from "../src";
import { callerFor, dbKinds, openTestDb } from "./db";

const DAY = 86_400_000;
type Row = Record<string, unknown>;
const col = (f: string) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const each = (part: (c: string, i: number) => string) => features.map((f, i) => part(col(f), i));

/** Every user's UTC months as a plain aggregate of the ledger: the database's own answer. */
const userMonths = `SELECT user_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month,
    (array_agg(tier ORDER BY occurred_at DESC, id DESC))[1] AS tier,
    ${each((c) => `sum(${c}) AS ${c}, bool_or(${c} > 0) AS used_${c}`).join(", ")}
  FROM usagekit.usage_events GROUP BY 1, 2`;

/** The figures the reports read, from the ledger itself. */
const fromLedger = (db: Db) =>
  Promise.all([
    queryRows<Row>(
      db,
      sql.raw(`WITH um AS (${userMonths})
      SELECT month::text, tier, count(*)::int AS users,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM um n WHERE n.user_id = um.user_id
          AND n.month = (um.month + interval '1 month')::date))::int AS back,
        ${each((c) => `count(*) FILTER (WHERE ${c} > 0)::int AS pos_${c}, count(*) FILTER (WHERE ${c} < 0)::int AS neg_${c}, sum(${c})::float8 AS total_${c}`).join(", ")}
      FROM um GROUP BY 1, 2 ORDER BY 1, 2`),
    ),
    queryRows<Row>(
      db,
      sql.raw(`WITH um AS (${userMonths}),
      first AS (SELECT DISTINCT ON (user_id) * FROM um ORDER BY user_id, month)
      SELECT f.month::text AS cohort, um.month::text AS month, count(*)::int AS users,
        ${each((c) => `count(*) FILTER (WHERE f.used_${c})::int AS first_${c}`).join(", ")}
      FROM um JOIN first f USING (user_id) GROUP BY 1, 2 ORDER BY 1, 2`),
    ),
    queryRows<Row>(
      db,
      sql.raw(`SELECT month::text, seconds::float8, count(*)::int AS users FROM (${userMonths}) um
      GROUP BY 1, 2 ORDER BY 1, 2`),
    ),
  ]);

/** The same figures from the rollups' aggregates. */
const fromRollups = (db: Db) =>
  Promise.all([
    queryRows<Row>(
      db,
      sql.raw(`SELECT month::text, tier, sum(users)::int AS users, sum(back)::int AS back,
        ${each((c, i) => `coalesce(sum(users) FILTER (WHERE positive & (1::bigint << ${i}) <> 0), 0)::int AS pos_${c}, coalesce(sum(users) FILTER (WHERE negative & (1::bigint << ${i}) <> 0), 0)::int AS neg_${c}, sum(totals[${i + 1}])::float8 AS total_${c}`).join(", ")}
      FROM usagekit.rollup_groups GROUP BY 1, 2 ORDER BY 1, 2`),
    ),
    queryRows<Row>(
      db,
      sql.raw(`SELECT cohort::text, month::text, sum(users)::int AS users,
        ${each((c, i) => `coalesce(sum(users) FILTER (WHERE used & (1::bigint << ${i}) <> 0), 0)::int AS first_${c}`).join(", ")}
      FROM usagekit.rollup_cohorts GROUP BY 1, 2 ORDER BY 1, 2`),
    ),
    queryRows<Row>(
      db,
      sql`SELECT month::text, seconds::float8, users::int AS users FROM usagekit.rollup_seconds
        ORDER BY 1, 2`,
    ),
  ]);

/** A small seeded generator (mulberry32): the same events on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Every rollup report for the months of the rounds (the reports fold first). */
const reports = async (api: ReturnType<typeof callerFor>) => ({
  adoption: await Promise.all(
    ["2026-08", "2026-09", "2026-10", "2026-11"].map((month) =>
      api.analytics.featureAdoption({ month }),
    ),
  ),
  value: await Promise.all(
    ["2026-09", "2026-10", "2026-11"].map((month) => api.analytics.featureValue({ month })),
  ),
  segments: await api.analytics.userSegments({ month: "2026-10" }),
  retention: await api.analytics.retention({ fromMonth: "2026-08", months: 4 }),
  dropOff: await api.analytics.dropOff({ month: "2026-10" }),
});

describe.each(dbKinds)("the analytics' rollups on %s", (kind) => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openTestDb(kind, { max: 8 });
  });
  afterAll(() => handle.close());

  const lastClock = new Date("2026-11-20T12:00:00Z");
  it("folded round by round equal the ledger's own aggregates, and a rebuild answers the same", async () => {
    const rnd = random(20_261_205);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const users = Array.from({ length: 24 }, (_, i) => `learner-${i}`);
    const clocks = ["2026-08-20", "2026-09-03", "2026-09-28", "2026-10-15", "2026-11-01"];
    for (const [round, day] of [...clocks, "2026-11-20"].entries()) {
      const now = new Date(`${day}T12:00:00Z`);
      const api = callerFor(handle, { now: () => now });
      for (const userId of users)
        if (rnd() < 0.2)
          await api.usage.setUserPlan({ userId, tier: pick(["free", "plus", "pro"] as const) });
      const events = Array.from({ length: 40 }, (_, i) => ({
        userId: pick(users),
        idempotencyKey: `r${round}-${i}`,
        occurredAt: new Date(now.getTime() - Math.floor(rnd() * 20 * DAY)),
        conversations: rnd() < 0.6 ? 1 : 0,
        seconds: Math.floor(rnd() * 900),
        realtimeSessions: rnd() < 0.3 ? 1 : 0,
        ankiExports: rnd() < 0.2 ? 1 : 0,
      }));
      const { results } = await api.usage.recordUsageBatch({ events });
      expect(results.every((r) => r.status === "recorded")).toBe(true);
      // A correction now of an event maybe of last month: a month's total can go below zero.
      const first = events[0]!;
      await api.usage.correctUsage({
        userId: first.userId,
        idempotencyKey: `c${round}`,
        correctsKey: first.idempotencyKey,
        reason: "test",
        seconds: first.seconds,
      });
      await api.analytics.featureAdoption({ month: day.slice(0, 7) }); // folds what is new
      expect(await fromRollups(handle.db)).toEqual(await fromLedger(handle.db));
    }
    const api = callerFor(handle, { now: () => lastClock });
    const folded = await reports(api);
    expect(folded.adoption[2]!.tiers.reduce((n, t) => n + t.activeUsers, 0)).toBeGreaterThan(10);
    // Rebuilt from the ledger (the rollups say they were folded with other features).
    await handle.db.execute(sql`UPDATE usagekit.rollup_state SET features = NULL`);
    expect(await reports(api)).toEqual(folded);
    expect(await fromRollups(handle.db)).toEqual(await fromLedger(handle.db));
  });

  it("keep an erased learner's past totals without the id, and fold what comes after", async () => {
    const api = callerFor(handle, { now: () => lastClock });
    const [{ userId }] = (await queryRows<{ userId: string }>(
      handle.db,
      sql`SELECT user_id AS "userId" FROM usagekit.rollup_months WHERE month = '2026-10-01'
        ORDER BY seconds DESC LIMIT 1`,
    )) as [{ userId: string }];
    const before = await reports(api);
    await api.usage.eraseUser({ userId });
    // Totals stay; what names the learner goes (top users, the learners known by a date).
    const erased = await reports(api);
    expect(erased).toMatchObject({
      adoption: before.adoption,
      value: before.value,
      retention: before.retention,
      segments: { segments: before.segments.segments },
      dropOff: { ...before.dropOff, inactive: expect.anything() },
    });
    const top = (r: typeof before) => r.segments.topUsers.map((u) => u.userId);
    expect(top(before)).toContain(userId);
    expect(top(erased).slice(0, 9)).toEqual(top(before).filter((id) => id !== userId));
    expect(erased.dropOff.inactive.knownUsers).toBe(before.dropOff.inactive.knownUsers - 1);
    const rowsOf = () =>
      queryRows<{ month: string }>(
        handle.db,
        sql`SELECT month::text FROM usagekit.rollup_months WHERE user_id = ${userId}`,
      );
    expect(await rowsOf()).toEqual([]);
    await api.usage.recordUsage({ userId, conversations: 1 });
    const after = await api.analytics.featureAdoption({ month: "2026-11" });
    const active = (a: typeof after) => a.tiers.reduce((n, t) => n + t.activeUsers, 0);
    // A new learner under the old id: counted once more this month.
    expect(active(after)).toBe(active(before.adoption[3]!) + 1);
    expect(await rowsOf()).toEqual([{ month: "2026-11-01" }]);
  });

  it("are kept folded by a timer when no report folds them (what a replica reads)", async () => {
    const api = callerFor(handle, { now: () => lastClock });
    const state = async () =>
      (
        await queryRows<{ done: number; last: number }>(
          handle.db,
          sql`SELECT done_id::float8 AS done, (SELECT last_value::float8 FROM usagekit.usage_events_id_seq) AS last
            FROM usagekit.rollup_state`,
        )
      )[0]!;
    await api.usage.recordUsage({ userId: "timer-learner", conversations: 1 });
    expect((await state()).done).toBeLessThan((await state()).last);
    const errors: unknown[] = [];
    const stop = keepRollupsFresh(handle.db, {
      tiers: defaultTiers,
      everyMs: 100,
      onError: (e) => errors.push(e),
    });
    try {
      for (let i = 0; i < 100 && (await state()).done < (await state()).last; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
    const { done, last } = await state();
    expect(done).toBe(last);
    const [row] = await queryRows(
      handle.db,
      sql`SELECT month::text, conversations::int FROM usagekit.rollup_months WHERE user_id = 'timer-learner'`,
    );
    expect(row).toEqual({ month: "2026-11-01", conversations: 1 });
  });
});

/** Concurrency and races mean something only on the real server. */
describe.runIf(dbKinds.includes("postgres"))(
  "the analytics' rollups under races (PostgreSQL)",
  () => {
    let handle: DbHandle;
    beforeAll(async () => {
      handle = await openTestDb("postgres", { max: 8 });
    });
    afterAll(() => handle.close());
    const lastClock = new Date("2026-11-20T12:00:00Z");

    it("never write an erased learner's rows back: an erase waits for the fold in flight", async () => {
      const api = callerFor(handle, { now: () => lastClock });
      await api.usage.recordUsage({ userId: "erased-in-a-fold", conversations: 1 });
      // A long fold: 200,000 events of other learners, seeded straight into the ledger.
      await handle.db.execute(sql`INSERT INTO usagekit.usage_events (user_id, occurred_at, month,
          day, tier, conversations)
        SELECT 'bulk-' || (g % 5000), timestamptz '2026-11-10 10:00+00', '2026-11-01', '2026-11-10',
          'free', 1 FROM generate_series(1, 200000) g`);
      const fold = refreshRollups(handle.db, { tiers: defaultTiers });
      await new Promise((r) => setTimeout(r, 150));
      await api.usage.eraseUser({ userId: "erased-in-a-fold" });
      expect(await fold).toMatchObject({ behind: false });
      expect(
        await queryRows(
          handle.db,
          sql`SELECT month FROM usagekit.rollup_months WHERE user_id = 'erased-in-a-fold'`,
        ),
      ).toEqual([]);
    }, 60_000);

    it("miss and double nothing while writers commit during the folds", async () => {
      const december = new Date("2026-12-10T12:00:00Z");
      const api = callerFor(handle, { now: () => december });
      let writing = true;
      let n = 0;
      const folds = (async () => {
        while (writing || n === 0) {
          await refreshRollups(handle.db, { tiers: defaultTiers });
          n++;
        }
        return n;
      })();
      // The writers go on until several folds ran beside them, however fast this machine writes.
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let i = 0; i < 50 || n < 4; i++)
            await api.usage.recordUsage({
              userId: `writer-${w}-${i % 4}`,
              idempotencyKey: `w${w}-${i}`,
              conversations: 1,
              seconds: 10 + i,
            });
        }),
      );
      writing = false;
      expect(await folds).toBeGreaterThan(3);
      // A host's transaction that drew its event's id and commits after later events: the fold
      // waits for it (it would otherwise fold past its id before it commits, and never see it).
      let inFlight = false;
      const slow = handle.db.transaction(async (tx) => {
        await createCaller(
          createTRPCContext({ db: tx, auth: { type: "service" }, now: () => december }),
        ).usage.recordUsage({ userId: "slow-writer", conversations: 1, seconds: 7 });
        inFlight = true;
        await new Promise((r) => setTimeout(r, 400));
      });
      while (!inFlight) await new Promise((r) => setTimeout(r, 10));
      await api.usage.recordUsage({ userId: "quick-writer", conversations: 1, seconds: 9 });
      expect(await refreshRollups(handle.db, { tiers: defaultTiers })).toMatchObject({
        behind: false,
      });
      await slow;
      expect(await refreshRollups(handle.db, { tiers: defaultTiers })).toMatchObject({
        behind: false,
      });
      // December holds only these writers' events (the erased learner's past stays in the
      // rollups only): its figures, every one, against the ledger's.
      const ofDecember = (tables: Row[][]) =>
        tables.map((rows) => rows.filter((r) => r["month"] === "2026-12-01"));
      const rollups = ofDecember(await fromRollups(handle.db));
      expect(rollups[0]!.length).toBeGreaterThan(0);
      expect(rollups).toEqual(ofDecember(await fromLedger(handle.db)));
    }, 60_000);
  },
);
