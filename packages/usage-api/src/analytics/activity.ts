import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { inHostTransaction, inSavepoint } from "../store/savepoint";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { instantOut } from "../calendar/local-month";

/** The first instant of `YYYY-MM` plus `offset` months, in UTC (no zone rules involved). */
export const utcMonthStart = (month: string, offset = 0) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 1 + offset, 1));
};

/** …as a statement parameter: cross-user reports use UTC months. */
export const utcMonth = (month: string, offset = 0) =>
  sql`${utcMonthStart(month, offset).toISOString()}::timestamptz`;

/**
 * Runs a report in a read-only transaction with room to hash and sort in memory: reports
 * aggregate a whole month (or more) of the ledger. Inside a host's open transaction, in a
 * savepoint of it instead (its isolation and settings are the host's to choose). `workMem`: the
 * room in megabytes (the pricing lab sorts several months of events).
 */
export function inReport<T>(
  db: Db,
  report: (tx: Db) => Promise<T>,
  workMem: 64 | 256 = 64,
): Promise<T> {
  if (inHostTransaction(db)) return inSavepoint(db, report);
  return db.transaction(async (tx) => {
    await tx.execute(sql`SET TRANSACTION READ ONLY`);
    await tx.execute(sql.raw(`SET LOCAL work_mem = '${workMem}MB'`));
    return report(tx as unknown as Db);
  });
}
/** `column` falls in the UTC month `offset` months from `month`. */
export const inMonth = (column: string, month: string, offset = 0) =>
  sql`${sql.raw(column)} >= ${utcMonth(month, offset)} AND ${sql.raw(column)} < ${utcMonth(month, offset + 1)}`;
/**
 * Each active user of the UTC month `offset` months from `month`: the month's plan (the tier of
 * the user's latest event in it, the one rule of every report) and the amounts used.
 */
export const monthUsers = ({ eachFeature, ledgerCol }: Columns, month: string, offset = 0) => sql`
  SELECT user_id, (array_agg(tier ORDER BY occurred_at DESC, id DESC))[1] AS tier,
    ${eachFeature((f) => sql`sum(${ledgerCol(f)}) AS ${ledgerCol(f)}`)}
  FROM usagekit.usage_events WHERE ${inMonth("occurred_at", month, offset)} GROUP BY user_id`;
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
  const { eachFeature, features, ledgerCol, tierNames } = c;
  const rows = await inReport(db, (tx) =>
    queryRows<{ tier: TierName; activeUsers: number } & Record<Feature, number>>(
      tx,
      sql`
    WITH per_user AS (${monthUsers(c, month)})
    SELECT t.tier AS "tier", count(p.user_id)::int AS "activeUsers",
      ${eachFeature((f) => sql`(count(*) FILTER (WHERE p.${ledgerCol(f)} > 0))::int AS ${sql.raw(`"${f}"`)}`)}
    FROM ${orderedNames(tierNames, "t", "tier")}
    LEFT JOIN per_user p ON p.tier = t.tier
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
  const { roleCol } = columnsOf(params.tiers);
  const perUser = sql`SELECT user_id, sum(${roleCol("practiceTime")}) AS seconds FROM usagekit.usage_events
    WHERE ${inMonth("occurred_at", month)} GROUP BY user_id`;
  const [segments, topUsers] = await Promise.all([
    queryRows<{
      segment: UserSegments["segments"][number]["segment"];
      users: number;
      totalSeconds: number;
    }>(
      db,
      sql`
      WITH seg AS (
        SELECT CASE WHEN seconds >= ${powerSeconds} THEN 'power'
          WHEN seconds >= ${regularSeconds} THEN 'regular' ELSE 'casual' END AS segment, seconds
        FROM (${perUser}) p
      )
      SELECT s.segment AS "segment", count(seg.seconds)::int AS "users",
        coalesce(sum(seg.seconds), 0)::float8 AS "totalSeconds"
      FROM ${orderedNames(segmentNames, "s", "segment")}
      LEFT JOIN seg ON seg.segment = s.segment
      GROUP BY s.segment, s.rank ORDER BY s.rank`,
    ),
    queryRows<{ userId: string; seconds: number }>(
      db,
      sql`SELECT user_id AS "userId", seconds::float8 AS "seconds" FROM (${perUser}) p
        ORDER BY seconds DESC, user_id LIMIT 10`,
    ),
  ]);
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
 * Cohort retention over `months` UTC months from `fromMonth`, split by first-month features.
 * One pass over the ledger folds each user into a bit mask of active months (bit i = month i)
 * and the features used in the first month; cohorts and offsets are then counted over the few
 * distinct (cohort, mask, features) combinations.
 */
export async function retention(
  db: Db,
  params: { fromMonth: string; months: number; tiers: Tiers },
): Promise<Retention> {
  const { fromMonth, months } = params;
  const { eachFeature, featureColumns, features } = columnsOf(params.tiers);
  const bounds = sql`ARRAY[${sql.join(
    Array.from({ length: months + 1 }, (_, i) => utcMonth(fromMonth, i)),
    sql`, `,
  )}]`;
  const inRange = (column: string) =>
    sql`${sql.raw(column)} >= ${utcMonth(fromMonth)} AND ${sql.raw(column)} < ${utcMonth(fromMonth, months)}`;
  // Bit i of `flags`: the event used features[i] (a catalog has at most 60 features).
  const flags = sql.join(
    features.map((f, i) => sql.raw(`((${featureColumns[f].ledger} > 0)::int::bigint << ${i})`)),
    sql` | `,
  );
  const usedInFirst = (f: Feature) =>
    sql.raw(`first_flags & (1::bigint << ${features.indexOf(f)}) <> 0`);
  const rows = await inReport(db, (tx) =>
    queryRows<{ cohort: number; offset: number; all: number } & Record<Feature, number>>(
      tx,
      sql`
      WITH per_user AS (
        SELECT e.user_id, min(l.c) AS c, bit_or(1::bigint << e.m) AS active,
          bit_or(CASE WHEN e.m = l.c THEN e.flags ELSE 0 END) AS first_flags
        FROM (SELECT user_id, width_bucket(occurred_at, ${bounds}) - 1 AS m, ${flags} AS flags
              FROM usagekit.usage_events WHERE ${inRange("occurred_at")}) e
        JOIN (SELECT user_id, width_bucket(first_active_at, ${bounds}) - 1 AS c
              FROM usagekit.lifetime_stats WHERE ${inRange("first_active_at")}) l USING (user_id)
        GROUP BY e.user_id
      ), combos AS (
        SELECT c, active >> c AS mask, first_flags, count(*) AS n FROM per_user GROUP BY 1, 2, 3
      )
      SELECT c::int AS "cohort", k::int AS "offset",
        coalesce(sum(n) FILTER (WHERE (mask >> k) & 1 = 1), 0)::int AS "all",
        ${eachFeature((f) => sql`coalesce(sum(n) FILTER (WHERE (mask >> k) & 1 = 1 AND ${usedInFirst(f)}), 0)::int AS ${sql.raw(`"${f}"`)}`)}
      FROM combos, generate_series(0, ${months - 1}::int) k WHERE c + k < ${months}::int
      GROUP BY c, k`,
    ),
  );
  const count = (cohort: number, offset: number, group: FeatureGroup) =>
    rows.find((r) => r.cohort === cohort && r.offset === offset)?.[group] ?? 0;
  const monthAt = (i: number) => utcMonthStart(fromMonth, i).toISOString().slice(0, 7);
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
  const { roleCol } = columnsOf(params.tiers);
  const [row] = await inReport(db, (tx) =>
    queryRows<Omit<DropOff, "month" | "completionRate" | "inactive"> & Record<string, number>>(
      tx,
      sql`
    WITH p AS (SELECT least(${utcMonth(params.month, 1)}, ${params.now.toISOString()}::timestamptz) AS as_of),
    m AS (
      SELECT coalesce(sum(${roleCol("conversation")}), 0)::float8 AS started,
        coalesce(sum(${roleCol("completedSession")}), 0)::float8 AS completed,
        count(DISTINCT user_id)::int AS active
      FROM usagekit.usage_events WHERE ${inMonth("occurred_at", params.month)}
    ), last AS (
      SELECT max(occurred_at) AS last_at FROM usagekit.usage_events, p WHERE occurred_at <= p.as_of GROUP BY user_id
    )
    SELECT ${instantOut(sql`p.as_of`)} AS "asOf", m.started AS "conversationsStarted", m.completed AS "sessionsCompleted",
      m.active AS "activeUsers",
      (SELECT count(*) FROM last WHERE last_at < p.as_of - interval '168 hours')::int AS "days7",
      (SELECT count(*) FROM last WHERE last_at < p.as_of - interval '336 hours')::int AS "days14",
      (SELECT count(*) FROM last WHERE last_at < p.as_of - interval '720 hours')::int AS "days30",
      (SELECT count(*) FROM last)::int AS "knownUsers"
    FROM p, m`,
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
