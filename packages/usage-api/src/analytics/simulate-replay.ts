import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { coveredSql, hardLimitSql, overageSql, softLimitSql } from "../limits/tier-sql";
import type { Feature, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { limitsTable, rolledOverSql } from "./runs-out";

const raw = sql.raw;

/** A local month (a date column) among the `months` from `from` (a range, so partitions prune). */
export const inMonths = (column: SQL, from: string, months: number) =>
  sql`${column} >= ${from}::date AND ${column} < (${from}::date + make_interval(months => ${months}::int))::date`;

/**
 * The pricing lab's replay, as CTEs ending in `lm` (per learner and month: `tier`, the last of
 * the month; `real_refused` and `draft_refused` events; per feature `rK`, `dK`: refused by it in
 * reality, under the draft) and `units` (the draft's overage units per learner, month, tier and
 * billable feature). Every event of the months per learner in time order: the ledger's (each net
 * of its corrections) and the attempts refused in reality (`limit_refusals`: what they asked of
 * the feature that refused them), at the draft's hard limits of the event's tier (plus what the
 * month took from grants and what rolled over into it — the rollover rule under the draft, from
 * the months' recorded use — as the real limit had).
 *
 * A learner's month at one tier whose events add nothing negative and whose totals stay within
 * every draft limit is accepted as it is, so it is answered from its totals (`mk`: the overage of
 * a month at one soft limit is its total's, by the same formula); only the other months are
 * replayed event by event by the window aggregate `usagekit.simulate` (`st`: the totals accepted
 * so far, this event's included when it was accepted, then whether it was).
 */
export function replay(tiers: Tiers, draft: Tiers, from: string, months: number): SQL {
  const c = columnsOf(tiers);
  const { features, ledgerCol, billableFeatures } = c;
  const n = features.length;
  const arr = (parts: SQL[]) => sql`ARRAY[${sql.join(parts, sql`, `)}]::bigint[]`;
  const i = (f: Feature) => features.indexOf(f) + 1;
  const granted = (f: Feature) => sql`coalesce((m.granted ->> ${f})::bigint, 0)`;
  const rolls = Object.values(draft).some((t) => Object.values(t).some((l) => l.rollover));
  /** What rolled over into the month at the tier, under the draft (`ro`, `rolls` below). */
  const rolled = (f: Feature) => (rolls ? sql` + coalesce(ro.r[${i(f)}], 0)` : sql``);
  const rollsOf = (alias: string, tier: string) =>
    rolls
      ? raw(
          `LEFT JOIN rolls ro ON ro.user_id = ${alias}.user_id AND ro.month = ${alias}.month AND ro.tier = ${alias}.${tier}`,
        )
      : sql``;
  /** Per feature, `rK`: whether reality refused it; `dK`: whether the draft did (when given). */
  const flags = (real: (k: number) => SQL, drafted?: (k: number) => SQL) =>
    sql.join(
      features.map(
        (_, k) =>
          sql`${real(k + 1)} AS ${raw(`r${k + 1}`)}${drafted ? sql`, ${drafted(k + 1)} AS ${raw(`d${k + 1}`)}` : sql``}`,
      ),
      sql`, `,
    );
  const fits = sql.join(
    features.map(
      (f) =>
        sql`(${hardLimitSql(draft, sql`k.lo`, f)} IS NULL OR k.total[${i(f)}] <= ${hardLimitSql(draft, sql`k.lo`, f)} + ${granted(f)}${rolled(f)})`,
    ),
    sql` AND `,
  );
  const limits = (tier: SQL) =>
    arr(features.map((f) => sql`${hardLimitSql(draft, tier, f)} + ${granted(f)}${rolled(f)}`));
  const notWhole = (alias: string) =>
    sql`JOIN mk m ON m.user_id = ${raw(alias)}.user_id AND m.month = ${raw(alias)}.month AND NOT m.whole`;
  return sql`
  mo AS (
    SELECT generate_series(${from}::date, (${from}::date + make_interval(months => ${months - 1}::int))::date,
      interval '1 month')::date AS month
  ), ref AS (
    -- Each in the local month it was refused in (kept with it), found through its instant's index.
    SELECT r.user_id, r.month, r.occurred_at AS at, r.id, r.tier,
      ${c.eachFeature((f) => sql`CASE WHEN r.feature = ${f} THEN r.requested ELSE 0 END AS ${ledgerCol(f)}`)}
    FROM usagekit.limit_refusals r
    WHERE r.occurred_at >= ${from}::date - interval '1 day'
      AND r.occurred_at < ${from}::date + make_interval(months => ${months}::int) + interval '1 day'
      AND r.month IN (SELECT month FROM mo)
  ), agg AS (
    -- Per learner and month, from the ledger's columns (corrections included) and the refusals.
    SELECT user_id, month, min(tier) AS lo, max(tier) AS hi, count(*) FILTER (WHERE NOT corrected) AS n,
      bool_and(NOT corrected AND ${sql.join(
        features.map((f) => sql`${ledgerCol(f)} >= 0`),
        sql` AND `,
      )}) AS plain,
      count(*) FILTER (WHERE attempt = 1) AS attempts,
      ${arr(features.map((f) => sql`sum(${ledgerCol(f)})`))} AS total,
      ${arr(billableFeatures.map((f) => sql`sum(${coveredSql("x", f)})`).concat(sql`0`))} AS covered,
      ${flags((k) => sql`bool_or(${ledgerCol(features[k - 1]!)} > 0) FILTER (WHERE attempt = 1)`)}
    FROM (
      SELECT user_id, month, tier, corrects_key IS NOT NULL AS corrected, 0 AS attempt, covered,
        ${c.eachFeature((f) => ledgerCol(f))}
      FROM usagekit.usage_events WHERE ${inMonths(sql`month`, from, months)}
      UNION ALL
      SELECT user_id, month, tier, false, 1, NULL, ${c.eachFeature((f) => ledgerCol(f))} FROM ref
    ) x GROUP BY user_id, month
  ), ${
    rolls
      ? sql`rolls AS (
    -- Per learner, month and tier that rolls over: the rollover rule's pool under the draft.
    SELECT user_id, month, tier, ${arr(features.map((f) => sql`coalesce(max(rolled) FILTER (WHERE feature = ${f}), 0)`))} AS r
    FROM (SELECT a.user_id, a.month, a.tier, a.feature, ${rolledOverSql(draft)} AS rolled
      FROM (SELECT t.user_id, t.month, l.tier, l.feature, l.own, l.roll_months, l.roll_max,
          (SELECT min(s.month) FROM usagekit.monthly_usage s WHERE s.user_id = t.user_id) AS since
        FROM (SELECT DISTINCT user_id, month, tier FROM usagekit.usage_events WHERE ${inMonths(sql`month`, from, months)}
          UNION SELECT user_id, month, tier FROM ref) t
        JOIN ${limitsTable(draft, "l")} ON l.tier = t.tier AND l.roll_months > 0) a) x
    GROUP BY user_id, month, tier
  ), `
      : sql``
  }mk AS (
    SELECT k.*, m.granted, k.lo = k.hi AND k.plain AND ${fits} AS whole
    FROM agg k LEFT JOIN usagekit.monthly_usage m ON m.user_id = k.user_id AND m.month = k.month
      AND ${inMonths(sql`m.month`, from, months)} AND m.granted <> '{}'::jsonb ${rollsOf("k", "lo")}
  ), corr AS (
    SELECT user_id, month, corrects_key, ${c.eachFeature((f) => sql`sum(${ledgerCol(f)}) AS ${ledgerCol(f)}`)}
    FROM usagekit.usage_events WHERE corrects_key IS NOT NULL AND ${inMonths(sql`month`, from, months)}
    GROUP BY user_id, month, corrects_key
  ), ev AS (
    -- The events of the other months, each net of its corrections, with the draft's limits.
    SELECT e.user_id, e.month, e.occurred_at AS at, 0 AS attempt, e.id, e.tier, e.covered,
      ${arr(features.map((f) => sql`e.${ledgerCol(f)} + coalesce(k.${ledgerCol(f)}, 0)`))} AS amounts,
      ${limits(sql`e.tier`)} AS limits, m.n
    FROM usagekit.usage_events e ${notWhole("e")} ${rollsOf("e", "tier")}
    LEFT JOIN corr k ON k.user_id = e.user_id AND k.month = e.month AND k.corrects_key = e.idempotency_key
    WHERE ${inMonths(sql`e.month`, from, months)} AND e.corrects_key IS NULL
    UNION ALL
    SELECT r.user_id, r.month, r.at, 1, r.id, r.tier, NULL,
      ${arr(features.map((f) => sql`r.${ledgerCol(f)}`))}, ${limits(sql`r.tier`)}, m.n
    FROM ref r ${notWhole("r")} ${rollsOf("r", "tier")}
  ), acc AS (
    SELECT ev.*, st[${n + 1}] = 1 AS ok FROM (
      SELECT ev.*, usagekit.simulate(amounts, limits) OVER w AS st, row_number() OVER w AS rn
      FROM ev WINDOW w AS (PARTITION BY user_id, month ORDER BY at, attempt, id)
    ) ev
  ), lm AS (
    SELECT a.user_id, a.month, min(a.tier) FILTER (WHERE a.rn = a.n) AS tier,
      count(*) FILTER (WHERE a.attempt = 1) AS real_refused, count(*) FILTER (WHERE NOT a.ok) AS draft_refused,
      ${flags(
        (k) => sql`bool_or(a.amounts[${k}] > 0) FILTER (WHERE a.attempt = 1)`,
        (k) => sql`bool_or(a.amounts[${k}] > 0 AND a.limits[${k}] IS NOT NULL
          AND a.st[${k}] + a.amounts[${k}] > a.limits[${k}]) FILTER (WHERE NOT a.ok)`,
      )}
    FROM acc a GROUP BY a.user_id, a.month
    UNION ALL
    SELECT user_id, month, lo, attempts, 0, ${sql.join(
      features.map((_, k) => raw(`r${k + 1}, false`)),
      sql`, `,
    )}
    FROM mk WHERE whole
  ), units AS (
    ${sql.join(
      [
        ...billableFeatures.map((f) => {
          const x = sql`amounts[${i(f)}]`;
          return sql`SELECT user_id, month, tier, ${f}::text AS feature,
            ${overageSql(softLimitSql(draft, sql`tier`, f), sql`st[${i(f)}] - ${x}`, x)} - ${coveredSql("acc", f)} AS units
            FROM acc WHERE ok AND ${x} <> 0`;
        }),
        ...billableFeatures.map((f, b) => {
          const t = sql`total[${i(f)}]`;
          return sql`SELECT user_id, month, lo, ${f}::text,
            ${overageSql(softLimitSql(draft, sql`lo`, f), sql`0`, t)} - covered[${b + 1}]
            FROM mk WHERE whole AND (${t} <> 0 OR covered[${b + 1}] <> 0)`;
        }),
        sql`SELECT NULL::text, NULL::date, NULL::text, NULL::text, 0::bigint WHERE false`,
      ],
      sql` UNION ALL `,
    )}
  )`;
}
