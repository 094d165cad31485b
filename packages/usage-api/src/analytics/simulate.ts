import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { overageLines, pricedLines, sumMoney } from "../billing/money";
import { localMonth } from "../calendar/local-month";
import { coveredSql, hardLimitSql, overageSql, softLimitSql } from "../limits/tier-sql";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { inReport } from "./activity";
import { draftCatalog } from "./draft";
import type { DraftCatalog } from "./draft";

/** One side of the pricing lab's answer for a month and tier. */
export interface SimulatedFigures {
  learners: number;
  refusedLearners: Partial<Record<Feature, number>>;
  refusedEvents: number;
  subscriptionRevenue: string;
  overageMoney: string;
  upgradeCandidates: number;
}

export interface Simulation {
  months: {
    month: string;
    tiers: { tier: TierName; actual: SimulatedFigures; draft: SimulatedFigures }[];
  }[];
}

const raw = sql.raw;
/** A local month (a date column) among the `months` from `from` (a range, so partitions prune). */
const inMonths = (column: SQL, from: string, months: number) =>
  sql`${column} >= ${from}::date AND ${column} < (${from}::date + make_interval(months => ${months}::int))::date`;

/**
 * Every event of the months per learner in time order: the ledger's (each net of its
 * corrections) and the attempts refused in reality (`limit_refusals`: what they asked of the
 * feature that refused them), with the draft's hard limits at the event's tier (plus what the
 * month took from grants, as the real limit had), replayed by `usagekit.simulate`: `st` holds the
 * totals accepted so far and, last, whether this event was accepted.
 */
function replay(tiers: Tiers, draft: Tiers, from: string, months: number): SQL {
  const c = columnsOf(tiers);
  const { features, ledgerCol } = c;
  const n = features.length;
  const arr = (parts: SQL[]) => sql`ARRAY[${sql.join(parts, sql`, `)}]::bigint[]`;
  const i = (f: Feature) => features.indexOf(f) + 1;
  const granted = (f: Feature) => sql`coalesce((m.granted ->> ${f})::bigint, 0)`;
  return sql`
  mo AS (
    SELECT generate_series(${from}::date, (${from}::date + make_interval(months => ${months - 1}::int))::date,
      interval '1 month')::date AS month
  ), corr AS (
    SELECT user_id, month, corrects_key, ${c.eachFeature((f) => sql`sum(${ledgerCol(f)}) AS ${ledgerCol(f)}`)}
    FROM usagekit.usage_events WHERE corrects_key IS NOT NULL AND ${inMonths(sql`month`, from, months)}
    GROUP BY user_id, month, corrects_key
  ), ev AS (
    SELECT e.user_id, e.month, e.occurred_at AS at, 0 AS attempt, e.id, e.tier, e.covered,
      ${arr(features.map((f) => sql`e.${ledgerCol(f)} + coalesce(k.${ledgerCol(f)}, 0)`))} AS amounts
    FROM usagekit.usage_events e
    LEFT JOIN corr k ON k.user_id = e.user_id AND k.month = e.month AND k.corrects_key = e.idempotency_key
    WHERE ${inMonths(sql`e.month`, from, months)} AND e.corrects_key IS NULL
    UNION ALL
    SELECT r.user_id, ${localMonth(sql`r.occurred_at`, sql`coalesce(u.timezone, 'UTC')`)}, r.occurred_at, 1, r.id,
      r.tier, NULL, ${arr(features.map((f) => sql`CASE WHEN r.feature = ${f} THEN r.requested ELSE 0 END`))}
    FROM usagekit.limit_refusals r LEFT JOIN usagekit.users u ON u.id = r.user_id
    WHERE r.occurred_at >= ${from}::date - interval '1 day'
      AND r.occurred_at < ${from}::date + make_interval(months => ${months}::int) + interval '1 day'
      AND ${localMonth(sql`r.occurred_at`, sql`coalesce(u.timezone, 'UTC')`)} IN (SELECT month FROM mo)
  ), lim AS (
    SELECT ev.*, ${arr(features.map((f) => sql`${hardLimitSql(draft, sql`ev.tier`, f)} + ${granted(f)}`))} AS limits
    FROM ev LEFT JOIN usagekit.monthly_usage m ON m.user_id = ev.user_id AND m.month = ev.month
      AND ${inMonths(sql`m.month`, from, months)}
  ), pre AS (
    -- What every event would bring if all were accepted: a learner's month whose totals never
    -- pass a limit is accepted as it is; only the others are replayed step by step.
    SELECT lim.*, ${arr(features.map((f) => sql`sum(amounts[${i(f)}]) OVER w`))} AS upto
    FROM lim WINDOW w AS (PARTITION BY user_id, month ORDER BY at, attempt, id)
  ), binds AS (
    SELECT pre.*, bool_or(${sql.join(
      features.map(
        (f) => sql`coalesce(amounts[${i(f)}] > 0 AND upto[${i(f)}] > limits[${i(f)}], false)`,
      ),
      sql` OR `,
    )}) OVER (PARTITION BY user_id, month) AS binds
    FROM pre
  ), sim AS (
    -- Accepted as they are: what each brought so far is what all brought.
    SELECT binds.*, upto || 1::bigint AS st FROM binds WHERE NOT binds
    UNION ALL
    SELECT binds.*, usagekit.simulate(amounts, limits) OVER w AS st
    FROM binds WHERE binds WINDOW w AS (PARTITION BY user_id, month ORDER BY at, attempt, id)
  ), acc AS (
    -- \`st\`: the totals accepted so far (this event's included when it was accepted), then whether it was.
    SELECT sim.*, st[${n + 1}] = 1 AS ok FROM sim
  ), units AS (
    ${sql.join(
      [
        ...c.billableFeatures.map((f) => {
          const x = sql`amounts[${i(f)}]`;
          return sql`SELECT user_id, month, tier, ${f}::text AS feature,
            ${overageSql(softLimitSql(draft, sql`tier`, f), sql`st[${i(f)}] - ${x}`, x)} - ${coveredSql("acc", f)} AS units
            FROM acc WHERE ok AND ${x} <> 0`;
        }),
        sql`SELECT NULL::text, NULL::date, NULL::text, NULL::text, 0::bigint WHERE false`,
      ],
      sql` UNION ALL `,
    )}
  )`;
}

/**
 * Per month and tier, the learners and what refused them, really and under the draft; the
 * candidates for an upgrade (refused at least once, or in overage) likewise; and the overage
 * money of each, by the one money function (the bills' for reality, the draft's rates for the
 * draft). A learner's tier in a month is the tier of their last event or attempt in it.
 */
function figuresSql(tiers: Tiers, draft: Tiers, from: string, months: number): SQL {
  const c = columnsOf(tiers);
  const { features } = c;
  const perFeature = (cond: (i: number) => SQL) =>
    sql`jsonb_build_object(${sql.join(
      features.map((f, k) => sql`${f}::text, count(*) FILTER (WHERE ${cond(k + 1)})`),
      sql`, `,
    )})`;
  const overageCols = Object.values(c.overageColumn);
  return sql`
  WITH ${replay(tiers, draft, from, months)},
  drafted AS (SELECT user_id, month FROM units GROUP BY user_id, month HAVING sum(units) > 0),
  lm AS (
    SELECT a.user_id, a.month, (array_agg(a.tier ORDER BY a.at DESC, a.attempt DESC, a.id DESC))[1] AS tier,
      count(*) FILTER (WHERE a.attempt = 1) AS real_refused,
      count(*) FILTER (WHERE NOT a.ok) AS draft_refused,
      ${sql.join(
        features.map(
          (_, k) => sql`bool_or(a.attempt = 1 AND a.amounts[${k + 1}] > 0) AS ${raw(`r${k + 1}`)},
          bool_or(NOT a.ok AND a.amounts[${k + 1}] > 0 AND a.limits[${k + 1}] IS NOT NULL
            AND a.st[${k + 1}] + a.amounts[${k + 1}] > a.limits[${k + 1}]) AS ${raw(`d${k + 1}`)}`,
        ),
        sql`, `,
      )}
    FROM acc a GROUP BY a.user_id, a.month
  ), flags AS (
    SELECT lm.*,
      ${overageCols.length > 0 ? sql`coalesce(${raw(overageCols.map((o) => `m.${o}`).join(" + "))}, 0) > 0` : sql`false`} AS real_overage,
      d.user_id IS NOT NULL AS draft_overage
    FROM lm LEFT JOIN usagekit.monthly_usage m ON m.user_id = lm.user_id AND m.month = lm.month
    LEFT JOIN drafted d ON d.user_id = lm.user_id AND d.month = lm.month
  ), real_money AS (
    SELECT month, tier, sum(amount) AS amount FROM (${overageLines(inMonths(sql`m.month`, from, months), tiers)}) l
    GROUP BY month, tier
  ), draft_money AS (
    SELECT month, tier, sum(amount) AS amount FROM (${pricedLines(sql`SELECT * FROM units`, draft)}) l
    GROUP BY month, tier
  ), per_tier AS (
    SELECT month, tier, count(*)::int AS learners,
      sum(real_refused)::int AS real_refused, sum(draft_refused)::int AS draft_refused,
      ${perFeature((k) => raw(`r${k}`))} AS real_f, ${perFeature((k) => raw(`d${k}`))} AS draft_f,
      count(*) FILTER (WHERE real_refused > 0 OR real_overage)::int AS real_candidates,
      count(*) FILTER (WHERE draft_refused > 0 OR draft_overage)::int AS draft_candidates
    FROM flags GROUP BY month, tier
  )
  SELECT to_char(coalesce(p.month, rm.month, dm.month), 'YYYY-MM') AS "month",
    coalesce(p.tier, rm.tier, dm.tier) AS "tier", coalesce(p.learners, 0) AS "learners",
    coalesce(p.real_refused, 0) AS "realRefused", coalesce(p.draft_refused, 0) AS "draftRefused",
    coalesce(p.real_f, '{}') AS "realFeatures", coalesce(p.draft_f, '{}') AS "draftFeatures",
    coalesce(p.real_candidates, 0) AS "realCandidates", coalesce(p.draft_candidates, 0) AS "draftCandidates",
    coalesce(rm.amount, 0)::numeric(20, 2)::text AS "realMoney",
    coalesce(dm.amount, 0)::numeric(20, 2)::text AS "draftMoney"
  FROM per_tier p
  FULL JOIN real_money rm ON rm.month = p.month AND rm.tier = p.tier
  FULL JOIN draft_money dm ON dm.month = coalesce(p.month, rm.month) AND dm.tier = coalesce(p.tier, rm.tier)`;
}

interface FigureRow {
  month: string;
  tier: TierName;
  learners: number;
  realRefused: number;
  draftRefused: number;
  realFeatures: Record<Feature, number>;
  draftFeatures: Record<Feature, number>;
  realCandidates: number;
  draftCandidates: number;
  realMoney: string;
  draftMoney: string;
}

/** Subscription payments per month and tier: their sum, and their count (priced by the draft). */
const paymentsSql = (from: string, months: number) => sql`
  SELECT to_char(month, 'YYYY-MM') AS "month", tier AS "tier", count(*)::int AS "payments",
    sum(amount)::numeric(20, 2)::text AS "paid"
  FROM usagekit.payments
  WHERE kind = 'subscription' AND month >= ${from}::date
    AND month < ${from}::date + make_interval(months => ${months}::int)
  GROUP BY month, tier`;

/** The price of `count` months of a tier, in cents then as a decimal string. */
const times = (price: string, count: number) => sumMoney(Array<string>(count).fill(price));

/**
 * `analytics.simulateCatalog`: the months from `fromMonth` replayed under a draft catalog, in SQL
 * in the database, beside what really happened (see `replay` and `figuresSql`).
 */
export async function simulateCatalog(
  db: Db,
  params: { draft: unknown; fromMonth: string; months: number; tiers: Tiers },
): Promise<Simulation> {
  const { fromMonth, months, tiers } = params;
  const draft: DraftCatalog = draftCatalog(tiers, params.draft);
  const from = `${fromMonth}-01`;
  const [rows, paid] = await inReport(db, async (tx) => [
    await queryRows<FigureRow>(tx, figuresSql(tiers, draft.tiers, from, months)),
    await queryRows<{ month: string; tier: TierName; payments: number; paid: string }>(
      tx,
      paymentsSql(from, months),
    ),
  ]);
  const { features, tierNames } = columnsOf(tiers);
  const byKey = new Map(rows.map((r) => [`${r.month} ${r.tier}`, r]));
  const paidByKey = new Map(paid.map((p) => [`${p.month} ${p.tier}`, p]));
  const onlyRefused = (counts: Record<Feature, number> | undefined) =>
    Object.fromEntries(features.flatMap((f) => ((counts?.[f] ?? 0) > 0 ? [[f, counts![f]]] : [])));
  const result: Simulation = { months: [] };
  for (let k = 0; k < months; k++) {
    const d = new Date(Date.UTC(Number(fromMonth.slice(0, 4)), Number(fromMonth.slice(5)) - 1 + k));
    const month = d.toISOString().slice(0, 7);
    result.months.push({
      month,
      tiers: tierNames.map((tier) => {
        const r = byKey.get(`${month} ${tier}`);
        const p = paidByKey.get(`${month} ${tier}`);
        const side = (real: boolean): SimulatedFigures => ({
          learners: r?.learners ?? 0,
          refusedLearners: onlyRefused(real ? r?.realFeatures : r?.draftFeatures),
          refusedEvents: (real ? r?.realRefused : r?.draftRefused) ?? 0,
          subscriptionRevenue: real
            ? (p?.paid ?? "0.00")
            : times(draft.prices[tier], p?.payments ?? 0),
          overageMoney: (real ? r?.realMoney : r?.draftMoney) ?? "0.00",
          upgradeCandidates: (real ? r?.realCandidates : r?.draftCandidates) ?? 0,
        });
        return { tier, actual: side(true), draft: side(false) };
      }),
    });
  }
  return result;
}
