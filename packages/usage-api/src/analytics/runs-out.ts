import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { instant, localDay, localMonth } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { dayOfMonth, daysInMonth, daysOf } from "../progress/forecast";
import { columnsOf } from "../store/columns";

/**
 * Each tier's finite limits as a constant table aliased `alias`: `(tier, feature, own,
 * roll_months, roll_max)`, the tier's own limit and its rollover rule (0 months: none).
 */
export const limitsTable = (tiers: Tiers, alias: string): SQL => {
  const { features, tierNames } = columnsOf(tiers);
  const rows = tierNames.flatMap((t) =>
    features.flatMap((f) => {
      const l = tiers[t][f];
      if (l.limit === null) return [];
      const roll = l.rollover ? `${l.rollover.months}, ${l.rollover.max ?? "NULL"}` : "0, NULL";
      return [`('${t}', '${f}', ${l.limit}::bigint, ${roll}::bigint)`];
    }),
  );
  return sql.raw(
    `(VALUES ${[...rows, "(NULL, NULL, 0::bigint, 0, NULL::bigint)"].join(", ")}) AS ${alias}(tier, feature, own, roll_months, roll_max)`,
  );
};

/** The monthly row `row`'s count of the feature named by the SQL text `feature`. */
const usedOf = (tiers: Tiers, row: string, feature: SQL) => {
  const { features, monthlyCol } = columnsOf(tiers);
  return sql`CASE ${feature} ${sql.join(
    features.map((f) => sql`WHEN ${f}::text THEN ${sql.raw(row)}.${monthlyCol(f)}`),
    sql` `,
  )} END`;
};

/**
 * What rolls over into the month `a.month` of the feature `a.feature` (the `limits/rollover.ts`
 * rule, for every learner at once; `a` also holds the feature's `own` limit, `roll_months`,
 * `roll_max` and the learner's first month `since`): the pool after the `roll_months` months
 * before it, oldest first, each adding its allowance minus its use and never going below 0 — the
 * running sum clamped at zero, which is the last prefix sum minus the lowest one (0 counted) — at
 * most `roll_max`.
 */
export const rolledOverSql = (tiers: Tiers) => sql`
  (SELECT coalesce(least(max(x.s) FILTER (WHERE x.k = 1) - least(0, min(x.s)), a.roll_max), 0)
  FROM (
    SELECT k, sum(d) OVER (ORDER BY k DESC) AS s FROM (
      SELECT k, CASE WHEN (a.month - make_interval(months => k))::date < a.since THEN 0
        WHEN pm.user_id IS NULL THEN a.own
        ELSE coalesce(pl.own, 0) - ${usedOf(tiers, "pm", sql`a.feature`)} END AS d
      FROM generate_series(1, a.roll_months) k
      LEFT JOIN usagekit.monthly_usage pm ON pm.user_id = a.user_id
        AND pm.month = (a.month - make_interval(months => k))::date
      LEFT JOIN ${limitsTable(tiers, "pl")} ON pl.tier = pm.tier_when_used AND pl.feature = a.feature
    ) steps
  ) x)`;

/**
 * The forecasts of the learners whose pace may reach a limit in their current local month at
 * `now` (`progress/forecast.ts`'s `project`, set-based, in float8 as JavaScript computes it): one
 * row per learner and feature with a limit above 0 — `(user_id, tier, feature, used, "limit",
 * projected, reaches)`, `reaches` the local date the pace reaches the limit (today when it
 * already has), or null. The limit is the one rule's: the tier's, what rolled over, and grants
 * (taken this month and still live at `now`).
 *
 * `users`: the learners to forecast (a `usagekit.users` table or subquery; every one by default).
 * Every other learner's pace cannot reach it, so they are left out in two steps before the
 * limit is read (rollover and grants only add to the tier's own): first without their days (a
 * pace is at most the month's use a day), then with them (the pace itself against the own limit).
 */
export function forecastsSql(tiers: Tiers, now: Date, users: SQL = sql`usagekit.users`): SQL {
  const at = instant(now);
  const rolls = Object.values(tiers).some((c) => Object.values(c).some((l) => l.rollover));
  const reaches = (limit: SQL) =>
    sql`(used >= ${limit} OR (per_day > 0 AND dom + ceil((${limit} - used) / per_day) <= dim))`;
  return sql`
  WITH zones AS (
    SELECT timezone, month, today, ${dayOfMonth(sql`today`)} AS dom, ${daysInMonth(sql`today`)} AS dim
    FROM (SELECT timezone, ${localMonth(at, sql`timezone`)} AS month, ${localDay(at, sql`timezone`)} AS today
      FROM (SELECT DISTINCT timezone FROM ${users} u) z) z
  ), used AS (
    SELECT u.id AS user_id, u.tier, z.month, z.today, z.dom, z.dim, m.granted, l.feature, l.own, l.roll_months,
      l.roll_max, ${usedOf(tiers, "m", sql`l.feature`)}::bigint AS used
    FROM ${users} u JOIN zones z ON z.timezone = u.timezone
    JOIN usagekit.monthly_usage m ON m.user_id = u.id AND m.month = z.month
    JOIN ${limitsTable(tiers, "l")} ON l.tier = u.tier
  ), maybe AS (
    SELECT * FROM used WHERE used > 0 AND used * (1 + dim - dom) >= own
  ), p AS (
    SELECT m.*,
      (CASE WHEN d."activeThisMonth" > 0 THEN used::float8 / d."activeThisMonth" ELSE 0 END)
      * (CASE WHEN d."daysKnown" > 0 THEN d."activeRecently"::float8 / d."daysKnown" ELSE 0 END) AS per_day
    FROM maybe m JOIN (${daysOf(sql`SELECT DISTINCT user_id, today FROM maybe`)}) d USING (user_id)
  ), f AS MATERIALIZED (
    -- Materialized: each row's limit (grants, rollover) read once, not once per use below.
    SELECT a.*, (a.own + ${rolls ? sql`CASE WHEN a.roll_months > 0 THEN ${rolledOverSql(tiers)} ELSE 0 END` : sql`0`}
        + coalesce((a.granted ->> a.feature)::bigint, 0)
        + coalesce((SELECT sum(g.remaining) FROM usagekit.grants g WHERE g.user_id = a.user_id
            AND g.feature = a.feature AND g.remaining > 0 AND (g.expires_at IS NULL OR g.expires_at > ${at})), 0)
      )::bigint AS "limit"
    FROM (SELECT p.*, ${rolls ? sql`(SELECT min(s.month) FROM usagekit.monthly_usage s WHERE s.user_id = p.user_id)` : sql`NULL::date`} AS since
      FROM p WHERE ${reaches(sql`own`)}) a
  )
  SELECT user_id, tier, feature, used, "limit",
    floor(used + per_day * (dim - dom) + 0.5)::bigint AS projected,
    CASE WHEN used >= "limit" THEN today
      WHEN ${reaches(sql`"limit"`)} THEN today + (ceil(("limit" - used) / per_day))::int END AS reaches
  FROM f WHERE "limit" > 0`;
}
