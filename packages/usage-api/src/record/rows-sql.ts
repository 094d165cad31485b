import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { BillableFeature, Feature, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { monthEnd, monthStart } from "../calendar/local-month";
import { raiseAlerts } from "../alerts/raise-sql";

const raw = sql.raw;

/** The SQL that adds events to the month, day and lifetime rows, for a tier table's catalog. */
export function rowsSql(tiers: Tiers) {
  const c = columnsOf(tiers);
  const { billableFeatures, commaEachBillable, eachFeature, ledgerCol, lifetimeCol } = c;
  const { monthlyCol, monthlySelect, overageCol, roleCol, sessionLengthSql, sessionSecondsSql } = c;

  /**
   * The update of month row `m` (alias) by the row `excluded` a write brings: counters added,
   * the longest session kept, each billable feature's overage raised by `overageAdded(f)`, the tier
   * and times of the latest event, and the period bounds in the user's current zone (they agree
   * with resetsAt after a zone change). The one-event and the batch statements share it.
   */
  const addToMonth = (overageAdded: (f: BillableFeature) => SQL, withGrants = false) => sql`
      ${eachFeature((f) => sql`${monthlyCol(f)} = m.${monthlyCol(f)} + excluded.${monthlyCol(f)}`)},
      ${withGrants ? sql`granted = usagekit.jsonb_add(m.granted, excluded.granted),` : sql``}
      completed_session_seconds = m.completed_session_seconds + excluded.completed_session_seconds,
      longest_session = greatest(m.longest_session, excluded.longest_session),
      ${sql.join(billableFeatures.map((f) => sql`${overageCol(f)} = m.${overageCol(f)} + ${overageAdded(f)},`))}
      tier_when_used = CASE WHEN excluded.last_event_at >= m.last_event_at
        THEN excluded.tier_when_used ELSE m.tier_when_used END,
      last_event_at = greatest(m.last_event_at, excluded.last_event_at),
      last_conversation_at = greatest(m.last_conversation_at, excluded.last_conversation_at),
      last_realtime_at = greatest(m.last_realtime_at, excluded.last_realtime_at),
      period_start = excluded.period_start, period_end = excluded.period_end,
      updated_at = now()`;

  /** The update of lifetime row `l` by the row `excluded`: totals added, first and last times. */
  const addToLifetime = sql`
      ${eachFeature((f) => sql`${lifetimeCol(f)} = l.${lifetimeCol(f)} + excluded.${lifetimeCol(f)}`)},
      days_active = l.days_active + excluded.days_active,
      first_active_at = least(l.first_active_at, excluded.first_active_at),
      first_conversation_at = least(l.first_conversation_at, excluded.first_conversation_at),
      last_active_at = greatest(l.last_active_at, excluded.last_active_at),
      updated_at = now()`;

  /**
   * The CTEs `mon`, `daily` and `life` of a batch statement: the month, day and lifetime rows of
   * the events in CTE `source` (user_id, month, day, tier, tz, at, i and an amount per feature),
   * summed per key and added to the rows as the one-event statement does. `overage` gives, per
   * billable feature, the overage a month row's insert starts with and what its update adds.
   * `mon` returns each touched month row (`created` when this statement inserted it). With
   * `withGrants`, `source` also has `granted` (what each event took from grants), summed into
   * the month row's.
   */
  function summedRows(
    source: string,
    overage: { insert: (f: BillableFeature) => SQL; added: (f: BillableFeature) => SQL },
    withGrants = false,
  ): SQL {
    const s = raw(source);
    const sum = (f: Feature) => sql`sum(${s}.${ledgerCol(f)})`;
    return sql`mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end,
      ${eachFeature(monthlyCol)}, completed_session_seconds, longest_session
      ${commaEachBillable(overageCol)}, ${withGrants ? sql`granted,` : sql``} tier_when_used,
      last_event_at, last_conversation_at, last_realtime_at)
    SELECT ${s}.user_id, ${s}.month, ${monthStart(sql`${s}.month`, sql`min(${s}.tz)`)},
      ${monthEnd(sql`${s}.month`, sql`min(${s}.tz)`)}, ${eachFeature(sum)},
      sum(${sessionSecondsSql(source)}), max(${sessionLengthSql(source)})
      ${commaEachBillable(overage.insert)}, ${withGrants ? sql`usagekit.jsonb_sum(${s}.granted),` : sql``}
      (array_agg(${s}.tier ORDER BY ${s}.at DESC, ${s}.i DESC))[1], max(${s}.at),
      max(${s}.at) FILTER (WHERE ${roleCol("conversation", source)} > 0),
      max(${s}.at) FILTER (WHERE ${roleCol("realtimeSession", source)} > 0)
    FROM ${s} GROUP BY ${s}.user_id, ${s}.month ORDER BY ${s}.user_id, ${s}.month
    ON CONFLICT (user_id, month) DO UPDATE SET
      ${addToMonth((f) => overage.added(f), withGrants)}
    RETURNING m.user_id AS "userId", to_char(m.month, 'YYYY-MM-DD') AS "monthDate",
      (xmax = 0) AS "created", ${monthlySelect("m")}
  ), alerted AS (
    ${raiseAlerts(tiers, {
      from: sql`mon`,
      userId: sql`mon."userId"`,
      month: sql`mon."monthDate"::date`,
      tier: sql`mon."tierWhenUsed"`,
      used: (f) => sql.raw(`mon."${c.monthlyField[f]}"`),
    })}
  ), daily AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events)
    SELECT user_id, day, count(*) FROM ${s} GROUP BY user_id, day ORDER BY user_id, day
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + excluded.events
    RETURNING user_id, (xmax = 0) AS new_day
  ), life AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, ${eachFeature(lifetimeCol)}, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT ${s}.user_id, ${eachFeature(sum)},
      -- New days per user, looked up in one map built once (an uncorrelated subquery: a join
      -- with it was rebuilt per event, and a correlated count would scan the days per user).
      coalesce(((SELECT jsonb_object_agg(user_id, n)
        FROM (SELECT user_id, count(*) AS n FROM daily WHERE new_day GROUP BY user_id) x) ->> ${s}.user_id)::int, 0),
      min(${s}.at), min(${s}.at) FILTER (WHERE ${roleCol("conversation", source)} > 0), max(${s}.at)
    FROM ${s} GROUP BY ${s}.user_id ORDER BY ${s}.user_id
    ON CONFLICT (user_id) DO UPDATE SET
      ${addToLifetime}
    RETURNING 1
  )`;
  }
  return { addToMonth, addToLifetime, summedRows };
}

/**
 * `u`: the user row of each event (`LEFT JOIN ${userOf("a.user_id")}`), looked up by primary key
 * per event. Not a plain join: a set from JSON is estimated at 100 rows, so a plain join is
 * planned as a hash join over a sequential scan of every user — a cost that grows with the user
 * table, paid by every batch (LIMIT keeps the subquery from being flattened into that join).
 */
export const userOf = (userId: string) =>
  sql`LATERAL (SELECT tier, timezone, holds FROM usagekit.users WHERE id = ${sql.raw(userId)}
    LIMIT 1) u ON true`;
