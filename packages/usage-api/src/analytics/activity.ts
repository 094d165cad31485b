import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { inHostTransaction, inSavepoint } from "../store/savepoint";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { instantOut } from "../calendar/local-month";
import { bit, utcMonthOf } from "../rollups/fold";
import { utcYearMonth } from "../calendar/window";

/** The first instant of `YYYY-MM` plus `offset` months, in UTC (no zone rules involved). */
export const utcMonthStart = (month: string, offset = 0) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 1 + offset, 1));
};

/** …as a statement parameter: cross-user reports use UTC months. */
export const utcMonth = (month: string, offset = 0) =>
  sql`${utcMonthStart(month, offset).toISOString()}::timestamptz`;

/**
 * Runs a report in a read-only transaction with room to hash and sort in memory, not
 * JIT-compiled (below): reports aggregate a whole month (or more) of the ledger. Inside a host's
 * open transaction, in a savepoint of it instead (its isolation and settings are the host's to
 * choose). `workMem`: the room in megabytes (the pricing lab sorts several months of events).
 */
export function inReport<T>(
  db: Db,
  report: (tx: Db) => Promise<T>,
  workMem: 64 | 256 = 64,
): Promise<T> {
  if (inHostTransaction(db)) return inSavepoint(db, report);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET TRANSACTION READ ONLY`);
    // Not JIT-compiled: compiling the pricing lab's statement took 4.3 s of its 23 s at a
    // million learners, and it ran no faster for it (README "Analytics at scale").
    await tx.execute(
      sql`SELECT set_config('work_mem', ${`${workMem}MB`}, true), set_config('jit', 'off', true)`,
    );
    return report(tx as unknown as Db);
  });
}
/** `column` falls in the UTC month `offset` months from `month`. */
export const inMonth = (column: string, month: string, offset = 0) =>
  sql`${sql.raw(column)} >= ${utcMonth(month, offset)} AND ${sql.raw(column)} < ${utcMonth(month, offset + 1)}`;
/** `YYYY-MM` (plus `offset` months) as the date of its first day, built from numbers. */
export const monthDate = (month: string, offset = 0) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return sql`(make_date(${year}::int, ${m}::int, 1) + make_interval(months => ${offset}::int))::date`;
};
/** Feature `f`'s bit is set in the bit mask `column` (`rollups/fold.ts`'s `featureBits`). */
export const hasBit = ({ features }: Columns, column: string, f: Feature) =>
  sql.raw(`${column} & ${bit(features.indexOf(f))} <> 0`);
/** Feature `f`'s total in a rollup aggregate's `totals` array (SQL arrays count from 1). */
export const totalOf = ({ features }: Columns, alias: string, f: Feature) =>
  sql.raw(`${alias}.totals[${features.indexOf(f) + 1}]`);
/** The rows of `names`, in order: `unnest(ARRAY[...]) WITH ORDINALITY AS alias(column, rank)`. */
export const orderedNames = (names: readonly string[], alias: string, column: string) =>
  sql.raw(`unnest(ARRAY['${names.join("','")}']) WITH ORDINALITY AS ${alias}(${column}, rank)`);
const rate = (part: number, whole: number) =>
  whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;

export interface FeatureAdoption {
  month: string;
  tiers: {
    tier: TierName;
    activeUsers: number;
    features: Record<Feature, { users: number; rate: number }>;
  }[];
}

/** Per tier (of each user's latest event in the month): active users and who used each feature. */
export async function featureAdoption(
  db: Db,
  { month, tiers }: { month: string; tiers: Tiers },
): Promise<FeatureAdoption> {
  const c = columnsOf(tiers);
  const { eachFeature, features, tierNames } = c;
  const rows = await inReport(db, (tx) =>
    queryRows<{ tier: TierName; activeUsers: number } & Record<Feature, number>>(
      tx,
      sql`
    SELECT t.tier AS "tier", coalesce(sum(g.users), 0)::int AS "activeUsers",
      ${eachFeature((f) => sql`coalesce(sum(g.users) FILTER (WHERE ${hasBit(c, "g.positive", f)}), 0)::int AS ${sql.raw(`"${f}"`)}`)}
    FROM ${orderedNames(tierNames, "t", "tier")}
    LEFT JOIN usagekit.rollup_groups g ON g.tier = t.tier AND g.month = ${monthDate(month)}
    GROUP BY t.tier, t.rank ORDER BY t.rank`,
    ),
  );
  return {
    month,
    tiers: rows.map((r) => ({
      tier: r.tier,
      activeUsers: r.activeUsers,
      features: Object.fromEntries(
        features.map((f) => [f, { users: r[f], rate: rate(r[f], r.activeUsers) }]),
      ) as FeatureAdoption["tiers"][number]["features"],
    })),
  };
}

const segmentNames = ["power", "regular", "casual"] as const;

export interface UserSegments {
  month: string;
  thresholds: { powerSeconds: number; regularSeconds: number };
  activeUsers: number;
  segments: {
    segment: (typeof segmentNames)[number];
    users: number;
    share: number;
    totalSeconds: number;
  }[];
  topUsers: { userId: string; seconds: number }[];
}

/** Active users by seconds used in the month: power ≥ powerSeconds > regular ≥ regularSeconds > casual. */
export async function userSegments(
  db: Db,
  params: { month: string; powerSeconds: number; regularSeconds: number; tiers: Tiers },
): Promise<UserSegments> {
  const { month, powerSeconds, regularSeconds } = params;
  const c = columnsOf(params.tiers);
  const [segments, topUsers] = await inReport(db, (tx) =>
    Promise.all([
      queryRows<{
        segment: UserSegments["segments"][number]["segment"];
        users: number;
        totalSeconds: number;
      }>(
        tx,
        sql`
      WITH seg AS (
        SELECT CASE WHEN seconds >= ${powerSeconds} THEN 'power'
          WHEN seconds >= ${regularSeconds} THEN 'regular' ELSE 'casual' END AS segment, seconds, users
        FROM usagekit.rollup_seconds WHERE month = ${monthDate(month)}
      )
      SELECT s.segment AS "segment", coalesce(sum(seg.users), 0)::int AS "users",
        coalesce(sum(seg.seconds * seg.users), 0)::float8 AS "totalSeconds"
      FROM ${orderedNames(segmentNames, "s", "segment")}
      LEFT JOIN seg ON seg.segment = s.segment
      GROUP BY s.segment, s.rank ORDER BY s.rank`,
      ),
      // The index (month, practice time DESC NULLS LAST, user_id) answers it in order.
      queryRows<{ userId: string; seconds: number }>(
        tx,
        sql`SELECT user_id AS "userId", ${c.roleCol("practiceTime")}::float8 AS "seconds"
        FROM usagekit.rollup_months WHERE month = ${monthDate(month)}
        ORDER BY ${c.roleCol("practiceTime")} DESC NULLS LAST, user_id LIMIT 10`,
      ),
    ]),
  );
  const activeUsers = segments.reduce((n, s) => n + s.users, 0);
  return {
    month,
    thresholds: { powerSeconds, regularSeconds },
    activeUsers,
    segments: segments.map((s) => ({ ...s, share: rate(s.users, activeUsers) })),
    topUsers,
  };
}

type FeatureGroup = "all" | Feature;
export interface Retention {
  fromMonth: string;
  months: number;
  /** For each cohort (users first active that month): the share active 0, 1, … months later. */
  cohorts: {
    month: string;
    users: number;
    retention: number[];
    /** The same, for the users who used each feature in their first month. */
    byFeature: Record<Feature, { users: number; retention: number[] }>;
  }[];
}

/**
 * Cohort retention over `months` UTC months from `fromMonth`, split by first-month features,
 * from the rollups' cohorts (per first month, its features and each month active: `rollups/`).
 */
export async function retention(
  db: Db,
  params: { fromMonth: string; months: number; tiers: Tiers },
): Promise<Retention> {
  const { fromMonth, months } = params;
  const c = columnsOf(params.tiers);
  const { eachFeature, features } = c;
  const [year, m] = fromMonth.split("-").map(Number) as [number, number];
  const index = (column: string) =>
    sql.raw(`(extract(year FROM ${column}) * 12 + extract(month FROM ${column}))::int`);
  const first = year * 12 + m;
  const rows = await inReport(db, (tx) =>
    queryRows<{ cohort: number; offset: number; all: number } & Record<Feature, number>>(
      tx,
      sql`
      SELECT ${index("cohort")} - ${first}::int AS "cohort", ${index("month")} - ${index("cohort")} AS "offset",
        sum(users)::int AS "all",
        ${eachFeature((f) => sql`coalesce(sum(users) FILTER (WHERE ${hasBit(c, "used", f)}), 0)::int AS ${sql.raw(`"${f}"`)}`)}
      FROM usagekit.rollup_cohorts
      WHERE cohort >= ${monthDate(fromMonth)} AND cohort < ${monthDate(fromMonth, months)}
        AND month < ${monthDate(fromMonth, months)}
      GROUP BY cohort, month`,
    ),
  );
  const count = (cohort: number, offset: number, group: FeatureGroup) =>
    rows.find((r) => r.cohort === cohort && r.offset === offset)?.[group] ?? 0;
  const monthAt = (i: number) => utcYearMonth(utcMonthStart(fromMonth, i));
  const series = (cohort: number, group: FeatureGroup) => {
    const size = count(cohort, 0, group);
    return {
      users: size,
      retention: Array.from({ length: months - cohort }, (_, k) =>
        rate(count(cohort, k, group), size),
      ),
    };
  };
  return {
    fromMonth,
    months,
    cohorts: Array.from({ length: months }, (_, i) => ({
      month: monthAt(i),
      ...series(i, "all"),
      byFeature: Object.fromEntries(
        features.map((f) => [f, series(i, f)]),
      ) as Retention["cohorts"][number]["byFeature"],
    })),
  };
}

export interface DropOff {
  month: string;
  asOf: Date;
  conversationsStarted: number;
  sessionsCompleted: number;
  completionRate: number;
  activeUsers: number;
  /** Of every user active before `asOf`: how many have not been active for 7, 14 and 30 days. */
  inactive: { days7: number; days14: number; days30: number; knownUsers: number };
}

/** Conversations started vs completed in the month; inactivity as of its end (or now). */
export async function dropOff(
  db: Db,
  params: { month: string; now: Date; tiers: Tiers },
): Promise<DropOff> {
  const c = columnsOf(params.tiers);
  const month = monthDate(params.month);
  /** Users whose latest event (as of `as_of`) is at most `hours` old: the rollup's last instants. */
  const recent = (hours: number) => {
    const since = sql.raw(`p.as_of - interval '${hours} hours'`);
    return sql`(SELECT count(*) FROM usagekit.rollup_months r WHERE r.month = ${month} AND r.last_at >= ${since})
      + (SELECT count(DISTINCT r.user_id) FROM usagekit.rollup_months r
        WHERE r.month >= ${utcMonthOf(since)} AND r.month < ${month} AND r.last_at >= ${since}
          AND NOT EXISTS (SELECT 1 FROM usagekit.rollup_months n WHERE n.user_id = r.user_id AND n.month = ${month}))`;
  };
  const [row] = await inReport(db, (tx) =>
    queryRows<Omit<DropOff, "month" | "completionRate" | "inactive"> & Record<string, number>>(
      tx,
      sql`
    WITH p AS (SELECT least(${utcMonth(params.month, 1)}, ${params.now.toISOString()}::timestamptz) AS as_of),
    m AS (
      SELECT coalesce(sum(${totalOf(c, "g", c.role.conversation)}), 0)::float8 AS started,
        coalesce(sum(${totalOf(c, "g", c.role.completedSession)}), 0)::float8 AS completed,
        coalesce(sum(g.users), 0)::int AS active
      FROM usagekit.rollup_groups g WHERE g.month = ${month}
    ), known AS (
      -- Every user with an event by then: the lifetime rows (kept by the write path).
      SELECT count(*)::int AS n FROM usagekit.lifetime_stats, p WHERE first_active_at <= p.as_of
    )
    SELECT ${instantOut(sql`p.as_of`)} AS "asOf", m.started AS "conversationsStarted", m.completed AS "sessionsCompleted",
      m.active AS "activeUsers",
      (known.n - ${recent(168)})::int AS "days7",
      (known.n - ${recent(336)})::int AS "days14",
      (known.n - ${recent(720)})::int AS "days30",
      known.n AS "knownUsers"
    FROM p, m, known`,
    ),
  );
  const { days7, days14, days30, knownUsers, ...rest } = row!;
  return {
    month: params.month,
    ...rest,
    completionRate: rate(rest.sessionsCompleted, rest.conversationsStarted),
    inactive: { days7: days7!, days14: days14!, days30: days30!, knownUsers: knownUsers! },
  };
}
