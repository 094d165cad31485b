import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { BillableFeature, Feature, Tiers } from "../limits/tiers";
import { claimed, claimKeys, keyedEvent } from "./ledger-key";
import { rowsSql, userOf } from "./rows-sql";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { dateText, instantOut, localDay, localMonth, windowStart } from "../calendar/local-month";

const raw = sql.raw;
const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;
const tz = sql`coalesce(u.timezone, 'UTC')`;

/**
 * Each event's user (tier, zone, holds), local month and day, and whether it is still in the
 * window. Read after the batch took its users' locks (`lockUsers`): the holds are current.
 */
export const eventContext = (
  c: Columns,
  events: { i: number; userId: string; at: string; now: string }[],
) => sql`
  SELECT e.i AS "i", coalesce(u.tier, ${c.defaultTierSql}) AS "tier", coalesce(u.timezone, 'UTC') AS "tz",
    u.tier IS NULL AS "newUser", coalesce(u.holds, '[]'::jsonb) AS "holds",
    ${dateText(localMonth(sql`e.at`, tz))} AS "month", ${dateText(localDay(sql`e.at`, tz))} AS "day",
    e.at >= ${windowStart(sql`e.now`, tz)} AS "inWindow"
  FROM jsonb_to_recordset(${json(events)}) AS e(i int, "userId" text, at timestamptz, now timestamptz)
  LEFT JOIN ${userOf(`e."userId"`)}`;

/** The ledger rows of keys already recorded: their payload and month. */
export const recordedKeys = (
  { eachFeature, ledgerCol }: Columns,
  keys: { userId: string; key: string }[],
) => sql`
  SELECT e.user_id AS "userId", e.idempotency_key AS "key", ${instantOut(sql`e.occurred_at`)} AS "occurredAt",
    to_char(e.month, 'YYYY-MM-DD') AS "month",
    ${eachFeature((f) => sql`e.${ledgerCol(f)}::int AS ${raw(`"${f}"`)}`)}
  FROM jsonb_to_recordset(${json(keys)}) AS q("userId" text, key text)
  CROSS JOIN ${keyedEvent(sql`q."userId"`, sql`q.key`)}`;

/** Locks the month rows the batch may change (in key order) and reads their counters. */
export const lockMonths = (
  { eachFeature, monthlyCol }: Columns,
  months: { userId: string; month: string }[],
) => sql`
  SELECT m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "month",
    ${eachFeature((f) => sql`m.${monthlyCol(f)}::float8 AS ${raw(`"${f}"`)}`)}
  FROM usagekit.monthly_usage m
  JOIN jsonb_to_recordset(${json(months)}) AS q("userId" text, month date)
    ON m.user_id = q."userId" AND m.month = q.month
  ORDER BY m.user_id, m.month FOR UPDATE OF m`;

/** An event to record, as planned: where it goes and the overage it adds per billable feature. */
export interface PlannedEvent {
  i: number;
  userId: string;
  key: string | null;
  at: string;
  month: string;
  day: string;
  tier: string;
  tz: string;
  /** No user row existed when the batch was planned. */
  newUser: boolean;
  amounts: Record<Feature, number>;
  overage: Partial<Record<BillableFeature, number>>;
  /** What it takes from grants, and what of the soft-limit formula's overage was covered. */
  granted: Partial<Record<Feature, number>>;
  covered: Partial<Record<BillableFeature, number>>;
}

const eventColumns = ({ features, billableFeatures, featureColumns, ledgerCol }: Columns) =>
  sql.join(
    [
      sql`i int, user_id text, key text, at timestamptz, month date, day date, tier text, tz text,
        new_user boolean, granted jsonb, covered jsonb`,
      ...features.map((f) => sql`${ledgerCol(f)} int`),
      ...billableFeatures.map((f) => sql`${raw(`ov_${featureColumns[f].ledger}`)} int`),
    ],
    sql`, `,
  );

const eventRows = (
  { features, billableFeatures, featureColumns }: Columns,
  events: PlannedEvent[],
) =>
  events.map((e) => ({
    i: e.i,
    user_id: e.userId,
    key: e.key,
    at: e.at,
    month: e.month,
    day: e.day,
    tier: e.tier,
    tz: e.tz,
    new_user: e.newUser,
    granted: Object.keys(e.granted).length > 0 ? e.granted : null,
    covered: Object.keys(e.covered).length > 0 ? e.covered : null,
    ...Object.fromEntries(features.map((f) => [featureColumns[f].ledger, e.amounts[f]])),
    ...Object.fromEntries(
      billableFeatures.map((f) => [`ov_${featureColumns[f].ledger}`, e.overage[f] ?? 0]),
    ),
  }));

/**
 * Records the planned events in one statement: the ledger rows in input order (their ids keep
 * it), the users never seen, and per user and month, day and user the summed rows — the same
 * columns the one-event statement writes. Answers each touched month row as it stands now (and
 * whether this statement created it), each with how many ledger rows were inserted.
 */
export function writeEvents(
  tiers: Tiers,
  events: PlannedEvent[],
  spends: Map<string, { userId: string; units: number }>,
): SQL {
  const c = columnsOf(tiers);
  const { eachFeature, featureColumns, ledgerCol: ledger, overageCol } = c;
  return sql`
  WITH ev AS (
    SELECT * FROM jsonb_to_recordset(${json(eventRows(c, events))}) AS ev(${eventColumns(c)})
  ), claimed AS (
    ${claimKeys({ from: sql`ev`, userId: sql`user_id`, key: sql`key`, month: sql`month`, where: sql`true` })}
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledger)}, granted, covered)
    SELECT user_id, key, at, month, day, tier, ${eachFeature((f) => sql`ev.${ledger(f)}`)},
      granted, covered
    FROM ev WHERE ${claimed(sql`ev.user_id`, sql`ev.key`)} ORDER BY i
    RETURNING 1
  ), usr AS (
    -- Only users that had no row: inserting an existing user's id would wait for a plan change
    -- holding that row while this statement holds month rows the plan change wants (deadlock).
    INSERT INTO usagekit.users (id) SELECT DISTINCT user_id FROM ev WHERE new_user ORDER BY 1
    ON CONFLICT (id) DO NOTHING
  ), ${rowsSql(tiers).summedRows(
    "ev",
    {
      insert: (f) => sql`sum(ev.${raw(`ov_${featureColumns[f].ledger}`)})`,
      added: (f) => sql`excluded.${overageCol(f)}`,
    },
    true,
  )}, spent AS (
    -- What the plan took from each grant (read under the users' locks, so never below zero).
    UPDATE usagekit.grants g SET remaining = g.remaining - s.units
    FROM jsonb_to_recordset(${json(
      [...spends].map(([id, s]) => ({ id, user_id: s.userId, units: s.units })),
    )}) AS s(id uuid, user_id text, units bigint)
    WHERE g.user_id = s.user_id AND g.id = s.id
  )
  SELECT (SELECT count(*) FROM led)::int AS "inserted", mon.* FROM mon`;
}

/** A refusal's month: the local month of `at` in its user's zone at the time (UTC without a row). */
const refusalMonth = (at: SQL, userId: SQL) =>
  localMonth(
    at,
    sql`coalesce((SELECT u.timezone FROM usagekit.users u WHERE u.id = ${userId}), 'UTC')`,
  );

/** The refusal log: one row per refused event (per key, once). */
export const keepRefusals = (
  rows: {
    userId: string;
    key: string | null;
    at: string;
    tier: string;
    feature: string;
    used: number;
    limit: number;
    requested: number;
  }[],
) => sql`
  INSERT INTO usagekit.limit_refusals (user_id, idempotency_key, occurred_at, month, tier, feature, used,
    "limit", requested)
  SELECT "userId", key, at, ${refusalMonth(sql`at`, sql`"userId"`)}, tier, feature, used, "limit", requested
  FROM jsonb_to_recordset(${json(rows)}) AS r("userId" text, key text, at timestamptz, tier text,
    feature text, used bigint, "limit" bigint, requested int)
  ORDER BY "userId"
  ON CONFLICT (user_id, idempotency_key) DO NOTHING`;

/** Month rows as the API returns them, for the given (user, month) pairs. */
export const readMonths = (
  { monthlySelect }: Columns,
  months: { userId: string; month: string }[],
) => sql`
  SELECT m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "monthDate", ${monthlySelect("m")}
  FROM usagekit.monthly_usage m
  JOIN jsonb_to_recordset(${json(months)}) AS q("userId" text, month date)
    ON m.user_id = q."userId" AND m.month = q.month`;
