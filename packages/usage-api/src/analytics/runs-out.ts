import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { instant, localDay, localMonth } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { daysColumns } from "../progress/forecast";
import { columnsOf } from "../store/columns";

/**
 * Each tier's finite limits as a constant table aliased `alias`: `(tier, feature, own,
 * roll_months, roll_max)`, the tier's own limit and its rollover rule (0 months: none).
 */
const limitsTable = (tiers: Tiers, alias: string): SQL => {
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
 * What rolls over into the month `a.month` of the feature `l` (the `limits/rollover.ts` rule, for
 * every learner at once): the pool after the `l.roll_months` months before it, oldest first, each
 * adding its allowance minus its use and never going below 0 — the running sum clamped at zero,
 * which is the last prefix sum minus the lowest one (0 counted) — at most `l.roll_max`.
 */
const rolledOverSql = (tiers: Tiers) => sql`
  (SELECT coalesce(least(max(x.s) FILTER (WHERE x.k = 1) - least(0, min(x.s)), l.roll_max), 0)
  FROM (
    SELECT k, sum(d) OVER (ORDER BY k DESC) AS s FROM (
      SELECT k, CASE WHEN (a.month - make_interval(months => k))::date < a.since THEN 0
        WHEN pm.user_id IS NULL THEN l.own
        ELSE coalesce(pl.own, 0) - ${usedOf(tiers, "pm", sql`l.feature`)} END AS d
      FROM generate_series(1, l.roll_months) k
      LEFT JOIN usagekit.monthly_usage pm ON pm.user_id = a.user_id
        AND pm.month = (a.month - make_interval(months => k))::date
      LEFT JOIN ${limitsTable(tiers, "pl")} ON pl.tier = pm.tier_when_used AND pl.feature = l.feature
    ) steps
  ) x)`;

/**
 * Every learner's forecast for their current local month at `now` (`progress/forecast.ts`'s
 * `project`, set-based, in float8 as JavaScript computes it): one row per learner with usage this
 * month and feature with a limit above 0 — `(user_id, tier, feature, used, "limit", projected,
 * reaches)`, `reaches` the local date the pace reaches the limit (today when it already has), or
 * null. The limit is the one rule's: the tier's, what rolled over, and grants (taken this month
 * and still live at `now`).
 */
export function forecastsSql(tiers: Tiers, now: Date): SQL {
  const at = instant(now);
  const rolls = Object.values(tiers).some((c) => Object.values(c).some((l) => l.rollover));
  return sql`
  WITH cur AS (
    SELECT u.id AS user_id, u.tier, ${localMonth(at, sql`u.timezone`)} AS month,
      ${localDay(at, sql`u.timezone`)} AS today
    FROM usagekit.users u
  ), a AS (
    SELECT c.*, m AS mu,
      ${rolls ? sql`(SELECT min(f.month) FROM usagekit.monthly_usage f WHERE f.user_id = c.user_id)` : sql`NULL::date`} AS since,
      ${daysColumns(sql`c.user_id`, sql`c.today`)}
    FROM cur c JOIN usagekit.monthly_usage m ON m.user_id = c.user_id AND m.month = c.month
  ), f AS (
    SELECT a.user_id, a.tier, a.today, a."dayOfMonth" AS dom, a."daysInMonth" AS dim, l.feature,
      a."activeThisMonth" AS active, a."activeRecently" AS recent, a."daysKnown" AS known,
      ${usedOf(tiers, "(a.mu)", sql`l.feature`)}::bigint AS used,
      (l.own + ${rolls ? sql`CASE WHEN l.roll_months > 0 THEN ${rolledOverSql(tiers)} ELSE 0 END` : sql`0`}
        + coalesce(((a.mu).granted ->> l.feature)::bigint, 0)
        + coalesce((SELECT sum(g.remaining) FROM usagekit.grants g WHERE g.user_id = a.user_id
            AND g.feature = l.feature AND g.remaining > 0 AND (g.expires_at IS NULL OR g.expires_at > ${at})), 0)
      )::bigint AS "limit"
    FROM a JOIN ${limitsTable(tiers, "l")} ON l.tier = a.tier
  ), p AS (
    SELECT f.*, (CASE WHEN active > 0 THEN used::float8 / active ELSE 0 END)
      * (CASE WHEN known > 0 THEN recent::float8 / known ELSE 0 END) AS per_day
    FROM f
  )
  SELECT user_id, tier, feature, used, "limit",
    floor(used + per_day * (dim - dom) + 0.5)::bigint AS projected,
    CASE WHEN used >= "limit" THEN today
      WHEN per_day > 0 AND dom + ceil(("limit" - used) / per_day) <= dim
        THEN today + (ceil(("limit" - used) / per_day))::int END AS reaches
  FROM p WHERE "limit" > 0`;
}
