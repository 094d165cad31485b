import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/**
 * The calendar in SQL, written once: every local month, day, period bound and window of usagekit
 * comes from here. Zones are PostgreSQL's own zone data (`AT TIME ZONE`), never offset math.
 */

/**
 * An instant as an answer carries it: `to_jsonb`, ISO 8601 with its offset, a format no session
 * setting changes (a `timestamptz` column's text follows the connection's DateStyle, which is the
 * host's). `queryRows` turns it into a `Date`.
 */
export const instantOut = (expr: SQL) => sql`to_jsonb(${expr})`;

/** An instant as a statement parameter. */
export const instant = (at: Date) => sql`${at.toISOString()}::timestamptz`;

/** The first day (a `date`) of the local month of instant `at` in zone `tz`. */
export const localMonth = (at: SQL, tz: SQL) =>
  sql`date_trunc('month', ${at} AT TIME ZONE ${tz})::date`;

/** The local day (a `date`) of instant `at` in zone `tz`. */
export const localDay = (at: SQL, tz: SQL) => sql`(${at} AT TIME ZONE ${tz})::date`;

/** The instant local month `month` (its first day, a `date`) starts in zone `tz`. */
export const monthStart = (month: SQL, tz: SQL) => sql`(${month})::timestamp AT TIME ZONE ${tz}`;

/** The instant the local month after `month` starts in `tz`: the end of a half-open period. */
export const monthEnd = (month: SQL, tz: SQL) =>
  sql`((${month}) + interval '1 month')::timestamp AT TIME ZONE ${tz}`;

/** The oldest instant an event may have: the start of the local month before `now`'s. */
export const windowStart = (now: SQL, tz: SQL) =>
  monthStart(sql`${localMonth(now, tz)} - interval '1 month'`, tz);

/** `YYYY-MM-DD` of a `date` (drivers would otherwise parse it in their own zone). */
export const dateText = (date: SQL) => sql`to_char(${date}, 'YYYY-MM-DD')`;

/**
 * The runs of consecutive active local days of `userId` (gaps and islands over
 * `daily_activity`): one row per run with its `first_day`, `last_day` and `len`.
 */
export const dayRuns = (userId: SQL) => sql`
  SELECT min(day) AS first_day, max(day) AS last_day, count(*)::int AS len
  FROM (SELECT day, day - row_number() OVER (ORDER BY day)::int AS grp
        FROM usagekit.daily_activity WHERE user_id = ${userId}) d
  GROUP BY grp`;
