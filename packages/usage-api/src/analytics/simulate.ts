import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { overageLines, pricedLines, sumMoney } from "../billing/money";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { inReport, utcMonthStart } from "./activity";
import { draftCatalog } from "./draft";
import { inMonths, replay } from "./simulate-replay";
import type { DraftCatalog } from "./draft";
import { utcYearMonth } from "../calendar/window";

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
  flags AS (
    SELECT lm.*,
      m.user_id IS NOT NULL AS real_overage,
      d.user_id IS NOT NULL AS draft_overage
    -- Only the months with overage are joined (a small hash, not every monthly row).
    FROM lm LEFT JOIN usagekit.monthly_usage m ON m.user_id = lm.user_id AND m.month = lm.month
      AND ${inMonths(sql`m.month`, from, months)}
      AND ${overageCols.length > 0 ? raw(`${overageCols.map((o) => `m.${o}`).join(" + ")} > 0`) : sql`false`}
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
  const [rows, paid] = await inReport(
    db,
    async (tx) => [
      await queryRows<FigureRow>(tx, figuresSql(tiers, draft.tiers, from, months)),
      await queryRows<{ month: string; tier: TierName; payments: number; paid: string }>(
        tx,
        paymentsSql(from, months),
      ),
    ],
    256,
  );
  const { catalog, features, tierNames } = columnsOf(tiers);
  /** The draft prices the tier otherwise than the catalog: its payments are priced by the draft;
   * else they stay what was paid (a discount included), so an empty draft's revenue is reality's. */
  const repriced = (tier: TierName) =>
    times(draft.prices[tier], 1) !== times(catalog.tiers[tier]!.price, 1);
  const byKey = new Map(rows.map((r) => [`${r.month} ${r.tier}`, r]));
  const paidByKey = new Map(paid.map((p) => [`${p.month} ${p.tier}`, p]));
  const onlyRefused = (counts: Record<Feature, number> | undefined) =>
    Object.fromEntries(features.flatMap((f) => ((counts?.[f] ?? 0) > 0 ? [[f, counts![f]]] : [])));
  const result: Simulation = { months: [] };
  for (let k = 0; k < months; k++) {
    const month = utcYearMonth(utcMonthStart(fromMonth, k));
    result.months.push({
      month,
      tiers: tierNames.map((tier) => {
        const r = byKey.get(`${month} ${tier}`);
        const p = paidByKey.get(`${month} ${tier}`);
        const side = (real: boolean): SimulatedFigures => ({
          learners: r?.learners ?? 0,
          refusedLearners: onlyRefused(real ? r?.realFeatures : r?.draftFeatures),
          refusedEvents: (real ? r?.realRefused : r?.draftRefused) ?? 0,
          subscriptionRevenue:
            real || !repriced(tier)
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
