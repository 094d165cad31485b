import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { billableFeatures, features } from "../tiers";
import type { BillableFeature, Feature } from "../tiers";
import {
  commaEachBillable,
  eachFeature,
  featureColumns,
  monthlySelect,
  overageColumn,
} from "./columns";

const raw = sql.raw;
const ledger = (f: Feature) => raw(featureColumns[f].ledger);
const monthly = (f: Feature) => raw(featureColumns[f].monthly);
const lifetime = (f: Feature) => raw(featureColumns[f].lifetime);
const overage = (f: BillableFeature) => raw(overageColumn[f]);
const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;

/** Takes each user's advisory lock, in user id order (the same order in every batch: no deadlock). */
export const lockUsers = (userIds: string[]) =>
  sql`SELECT count(pg_advisory_xact_lock(hashtextextended('usagekit:' || u, 0)))::int AS n
    FROM jsonb_array_elements_text(${json(userIds)}) AS u`;

/** Each event's user (tier, zone), local month and day, and whether it is still in the window. */
export const eventContext = (events: { i: number; userId: string; at: string }[], now: Date) => sql`
  SELECT e.i AS "i", coalesce(u.tier, 'free') AS "tier", coalesce(u.timezone, 'UTC') AS "tz",
    to_char(date_trunc('month', e.at AT TIME ZONE coalesce(u.timezone, 'UTC')), 'YYYY-MM-DD') AS "month",
    to_char(e.at AT TIME ZONE coalesce(u.timezone, 'UTC'), 'YYYY-MM-DD') AS "day",
    e.at >= (date_trunc('month', ${now.toISOString()}::timestamptz AT TIME ZONE coalesce(u.timezone, 'UTC'))
      - interval '1 month') AT TIME ZONE coalesce(u.timezone, 'UTC') AS "inWindow"
  FROM jsonb_to_recordset(${json(events)}) AS e(i int, "userId" text, at timestamptz)
  LEFT JOIN usagekit.users u ON u.id = e."userId"`;

/** The ledger rows of keys already recorded: their payload and month. */
export const recordedKeys = (keys: { userId: string; key: string }[]) => sql`
  SELECT e.user_id AS "userId", e.idempotency_key AS "key", e.occurred_at AS "occurredAt",
    to_char(e.month, 'YYYY-MM-DD') AS "month",
    ${eachFeature((f) => sql`e.${ledger(f)}::int AS ${raw(`"${f}"`)}`)}
  FROM jsonb_to_recordset(${json(keys)}) AS q("userId" text, key text)
  JOIN usagekit.usage_events e ON e.user_id = q."userId" AND e.idempotency_key = q.key`;

/** Locks the month rows the batch may change (in key order) and reads their counters. */
export const lockMonths = (months: { userId: string; month: string }[]) => sql`
  SELECT m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "month",
    ${eachFeature((f) => sql`m.${monthly(f)}::float8 AS ${raw(`"${f}"`)}`)}
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
  amounts: Record<Feature, number>;
  overage: Partial<Record<BillableFeature, number>>;
}

const eventColumns = () =>
  sql.join(
    [
      sql`i int, user_id text, key text, at timestamptz, month date, day date, tier text, tz text`,
      ...features.map((f) => sql`${ledger(f)} int`),
      ...billableFeatures.map((f) => sql`${raw(`ov_${featureColumns[f].ledger}`)} int`),
    ],
    sql`, `,
  );

const eventRows = (events: PlannedEvent[]) =>
  events.map((e) => ({
    i: e.i,
    user_id: e.userId,
    key: e.key,
    at: e.at,
    month: e.month,
    day: e.day,
    tier: e.tier,
    tz: e.tz,
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
export function writeEvents(events: PlannedEvent[]): SQL {
  const sum = (f: Feature) => sql`sum(ev.${ledger(f)})`;
  return sql`
  WITH ev AS (
    SELECT * FROM jsonb_to_recordset(${json(eventRows(events))}) AS ev(${eventColumns()})
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledger)})
    SELECT user_id, key, at, month, day, tier, ${eachFeature((f) => sql`ev.${ledger(f)}`)}
    FROM ev ORDER BY i
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING 1
  ), usr AS (
    INSERT INTO usagekit.users (id) SELECT DISTINCT user_id FROM ev ORDER BY 1
    ON CONFLICT (id) DO NOTHING
  ), mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end,
      ${eachFeature(monthly)}, completed_session_seconds, longest_session
      ${commaEachBillable(overage)}, tier_when_used, last_event_at, last_conversation_at,
      last_realtime_at)
    SELECT ev.user_id, ev.month, ev.month::timestamp AT TIME ZONE min(ev.tz),
      (ev.month + interval '1 month')::timestamp AT TIME ZONE min(ev.tz),
      ${eachFeature(sum)},
      sum(CASE WHEN ev.completed_sessions > 0 THEN ev.seconds ELSE 0 END),
      max(CASE WHEN ev.completed_sessions > 0 THEN round(ev.seconds::numeric / ev.completed_sessions) ELSE 0 END)
      ${commaEachBillable((f) => sql`sum(ev.${raw(`ov_${featureColumns[f].ledger}`)})`)},
      (array_agg(ev.tier ORDER BY ev.at DESC, ev.i DESC))[1], max(ev.at),
      max(ev.at) FILTER (WHERE ev.conversations > 0), max(ev.at) FILTER (WHERE ev.realtime_sessions > 0)
    FROM ev GROUP BY ev.user_id, ev.month ORDER BY ev.user_id, ev.month
    ON CONFLICT (user_id, month) DO UPDATE SET
      ${eachFeature((f) => sql`${monthly(f)} = m.${monthly(f)} + excluded.${monthly(f)}`)},
      completed_session_seconds = m.completed_session_seconds + excluded.completed_session_seconds,
      longest_session = greatest(m.longest_session, excluded.longest_session),
      ${sql.join(
        billableFeatures.map((f) => sql`${overage(f)} = m.${overage(f)} + excluded.${overage(f)},`),
      )}
      tier_when_used = CASE WHEN excluded.last_event_at >= m.last_event_at
        THEN excluded.tier_when_used ELSE m.tier_when_used END,
      last_event_at = greatest(m.last_event_at, excluded.last_event_at),
      last_conversation_at = greatest(m.last_conversation_at, excluded.last_conversation_at),
      last_realtime_at = greatest(m.last_realtime_at, excluded.last_realtime_at),
      period_start = excluded.period_start, period_end = excluded.period_end,
      updated_at = now()
    RETURNING m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "monthDate",
      (xmax = 0) AS "created", ${monthlySelect("m")}
  ), daily AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events)
    SELECT user_id, day, count(*) FROM ev GROUP BY user_id, day ORDER BY user_id, day
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + excluded.events
    RETURNING user_id, (xmax = 0) AS new_day
  ), life AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, ${eachFeature(lifetime)}, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT ev.user_id, ${eachFeature(sum)},
      coalesce((nd.days ->> ev.user_id)::int, 0),
      min(ev.at), min(ev.at) FILTER (WHERE ev.conversations > 0), max(ev.at)
    -- New days per user, looked up in one map (a correlated count would scan the days per user).
    FROM ev CROSS JOIN (SELECT jsonb_object_agg(user_id, n) AS days
      FROM (SELECT user_id, count(*) AS n FROM daily WHERE new_day GROUP BY user_id) x) nd
    GROUP BY ev.user_id, nd.days ORDER BY ev.user_id
    ON CONFLICT (user_id) DO UPDATE SET
      ${eachFeature((f) => sql`${lifetime(f)} = l.${lifetime(f)} + excluded.${lifetime(f)}`)},
      days_active = l.days_active + excluded.days_active,
      first_active_at = least(l.first_active_at, excluded.first_active_at),
      first_conversation_at = least(l.first_conversation_at, excluded.first_conversation_at),
      last_active_at = greatest(l.last_active_at, excluded.last_active_at),
      updated_at = now()
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM led)::int AS "inserted", mon.* FROM mon`;
}

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
  INSERT INTO usagekit.limit_refusals (user_id, idempotency_key, occurred_at, tier, feature, used, "limit", requested)
  SELECT "userId", key, at, tier, feature, used, "limit", requested
  FROM jsonb_to_recordset(${json(rows)}) AS r("userId" text, key text, at timestamptz, tier text,
    feature text, used bigint, "limit" bigint, requested int)
  ORDER BY "userId"
  ON CONFLICT (user_id, idempotency_key) DO NOTHING`;

/** Month rows as the API returns them, for the given (user, month) pairs. */
export const readMonths = (months: { userId: string; month: string }[]) => sql`
  SELECT m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "monthDate", ${monthlySelect("m")}
  FROM usagekit.monthly_usage m
  JOIN jsonb_to_recordset(${json(months)}) AS q("userId" text, month date)
    ON m.user_id = q."userId" AND m.month = q.month`;
