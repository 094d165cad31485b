import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { billableFeatures, features } from "../tiers";
import type { Feature, Tiers } from "../tiers";
import {
  commaEachBillable,
  eachFeature,
  featureColumns,
  monthlySelect,
  overageColumn,
} from "./columns";
import { overageSql, softLimitSql } from "./tier-sql";

const raw = sql.raw;
const ledger = (f: Feature) => raw(featureColumns[f].ledger);
const monthly = (f: Feature) => raw(featureColumns[f].monthly);
const lifetime = (f: Feature) => raw(featureColumns[f].lifetime);

export interface FastEvent {
  i: number;
  userId: string;
  key: string | null;
  at: string;
  amounts: Record<Feature, number>;
}

/**
 * A batch without enforced events in one statement, like the one-event statement but set-based:
 * each event's month and day in its user's zone, the window, the ledger rows in input order (the
 * first of each key; a known key is skipped by the unique index), and the month, day and lifetime
 * rows summed from the rows actually inserted — overage past a soft limit added per month row
 * (summed increments at one tier telescope into the overage of the sum). Answers each touched
 * month row, each with the inserted events as `[i, month]` pairs.
 */
export function writeUnenforced(events: FastEvent[], now: Date, tiers: Tiers): SQL {
  const rows = events.map((e) => ({
    i: e.i,
    user_id: e.userId,
    key: e.key,
    at: e.at,
    ...Object.fromEntries(features.map((f) => [featureColumns[f].ledger, e.amounts[f]])),
  }));
  const tz = sql`coalesce(u.timezone, 'UTC')`;
  const sum = (f: Feature) => sql`sum(ok.${ledger(f)})`;
  const soft = (f: (typeof billableFeatures)[number], tier: SQL) => softLimitSql(tiers, tier, f);
  return sql`
  WITH a AS (
    SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS a(i int, user_id text,
      key text, at timestamptz, ${sql.join(
        features.map((f) => sql`${ledger(f)} int`),
        sql`, `,
      )})
  ), ev AS (
    SELECT a.*, coalesce(u.tier, 'free') AS tier, ${tz} AS tz,
      date_trunc('month', a.at AT TIME ZONE ${tz})::date AS month, (a.at AT TIME ZONE ${tz})::date AS day,
      a.at >= (date_trunc('month', ${now.toISOString()}::timestamptz AT TIME ZONE ${tz})
        - interval '1 month') AT TIME ZONE ${tz} AS in_window,
      CASE WHEN a.key IS NULL THEN 1
        ELSE row_number() OVER (PARTITION BY a.user_id, a.key ORDER BY a.i) END AS rn
    FROM a LEFT JOIN usagekit.users u ON u.id = a.user_id
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledger)})
    SELECT user_id, key, at, month, day, tier, ${eachFeature((f) => sql`ev.${ledger(f)}`)}
    FROM ev WHERE in_window AND rn = 1 ORDER BY i
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING user_id, idempotency_key
  ), ok AS (
    SELECT ev.* FROM ev WHERE ev.in_window AND ev.key IS NULL
    UNION ALL
    -- IN, not a join: hashed once, where a join of two CTEs is planned as a nested loop.
    SELECT ev.* FROM ev WHERE ev.rn = 1 AND ev.key IS NOT NULL
      AND (ev.user_id, ev.key) IN (SELECT user_id, idempotency_key FROM led)
  ), usr AS (
    INSERT INTO usagekit.users (id) SELECT DISTINCT user_id FROM ok ORDER BY 1
    ON CONFLICT (id) DO NOTHING
  ), mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end,
      ${eachFeature(monthly)}, completed_session_seconds, longest_session
      ${commaEachBillable((f) => raw(overageColumn[f]))}, tier_when_used, last_event_at,
      last_conversation_at, last_realtime_at)
    SELECT ok.user_id, ok.month, ok.month::timestamp AT TIME ZONE min(ok.tz),
      (ok.month + interval '1 month')::timestamp AT TIME ZONE min(ok.tz), ${eachFeature(sum)},
      sum(CASE WHEN ok.completed_sessions > 0 THEN ok.seconds ELSE 0 END),
      max(CASE WHEN ok.completed_sessions > 0 THEN round(ok.seconds::numeric / ok.completed_sessions) ELSE 0 END)
      ${commaEachBillable((f) => overageSql(soft(f, sql`min(ok.tier)`), sql`0`, sum(f)))},
      (array_agg(ok.tier ORDER BY ok.at DESC, ok.i DESC))[1], max(ok.at),
      max(ok.at) FILTER (WHERE ok.conversations > 0), max(ok.at) FILTER (WHERE ok.realtime_sessions > 0)
    FROM ok GROUP BY ok.user_id, ok.month ORDER BY ok.user_id, ok.month
    ON CONFLICT (user_id, month) DO UPDATE SET
      ${eachFeature((f) => sql`${monthly(f)} = m.${monthly(f)} + excluded.${monthly(f)}`)},
      completed_session_seconds = m.completed_session_seconds + excluded.completed_session_seconds,
      longest_session = greatest(m.longest_session, excluded.longest_session),
      ${sql.join(
        billableFeatures.map((f) => {
          const o = raw(overageColumn[f]);
          return sql`${o} = m.${o} + ${overageSql(soft(f, sql`excluded.tier_when_used`), sql`m.${monthly(f)}`, sql`excluded.${monthly(f)}`)},`;
        }),
      )}
      tier_when_used = CASE WHEN excluded.last_event_at >= m.last_event_at
        THEN excluded.tier_when_used ELSE m.tier_when_used END,
      last_event_at = greatest(m.last_event_at, excluded.last_event_at),
      last_conversation_at = greatest(m.last_conversation_at, excluded.last_conversation_at),
      last_realtime_at = greatest(m.last_realtime_at, excluded.last_realtime_at),
      period_start = excluded.period_start, period_end = excluded.period_end,
      updated_at = now()
    RETURNING m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "monthDate", ${monthlySelect("m")}
  ), daily AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events)
    SELECT user_id, day, count(*) FROM ok GROUP BY user_id, day ORDER BY user_id, day
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + excluded.events
    RETURNING user_id, (xmax = 0) AS new_day
  ), life AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, ${eachFeature(lifetime)}, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT ok.user_id, ${eachFeature(sum)},
      coalesce((nd.days ->> ok.user_id)::int, 0),
      min(ok.at), min(ok.at) FILTER (WHERE ok.conversations > 0), max(ok.at)
    -- New days per user, looked up in one map (a correlated count would scan the days per user).
    FROM ok CROSS JOIN (SELECT jsonb_object_agg(user_id, n) AS days
      FROM (SELECT user_id, count(*) AS n FROM daily WHERE new_day GROUP BY user_id) x) nd
    GROUP BY ok.user_id, nd.days ORDER BY ok.user_id
    ON CONFLICT (user_id) DO UPDATE SET
      ${eachFeature((f) => sql`${lifetime(f)} = l.${lifetime(f)} + excluded.${lifetime(f)}`)},
      days_active = l.days_active + excluded.days_active,
      first_active_at = least(l.first_active_at, excluded.first_active_at),
      first_conversation_at = least(l.first_conversation_at, excluded.first_conversation_at),
      last_active_at = greatest(l.last_active_at, excluded.last_active_at),
      updated_at = now()
    RETURNING 1
  )
  -- The inserted events once, on the first row (an InitPlan: computed once, sent once).
  SELECT CASE WHEN row_number() OVER () = 1 THEN
      (SELECT coalesce(jsonb_agg(jsonb_build_array(i, to_char(month, 'YYYY-MM-DD'))), '[]') FROM ok)
    END AS "recorded", mon.*
  FROM mon`;
}
