import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { modelOfTiers } from "../limits/tiers";
import type { BillableFeature, TierName, Tiers } from "../limits/tiers";
import { inMonth, inReport, monthDate, orderedNames } from "./activity";
import { overageLines, sumMoney, upgradeGains } from "../billing/money";
import { dateText } from "../calendar/local-month";
import { utcYearMonth } from "../calendar/window";

/** The monthly rows (`m`) of the billing month `month`: each user's own local month. */
const ofBillingMonth = (month: string) => sql`m.month = ${monthDate(month)}`;

/** The practice time's overage price of each tier (the report's per-tier columns). */
const secondsPrice = (tiers: Tiers, tier: TierName) => {
  const o = tiers[tier][modelOfTiers(tiers).role.practiceTime].overage;
  return { price: o?.price ?? "0", perUnits: o?.perUnits ?? 1 };
};
/** The feature that plays the practice time, as a SQL text (the reports' `overageSeconds`). */
const practiceTime = (tiers: Tiers) => sql`${modelOfTiers(tiers).role.practiceTime}::text`;

export interface Overage {
  month: string;
  /** Billable total: the sum of every user's amount, each rounded to the cent. */
  total: string;
  byTier: {
    tier: TierName;
    users: number;
    overageSeconds: number;
    /** The tier's overage money, every billable feature together. */
    amount: string;
    /** The seconds' overage price (per `perUnits` seconds), "0" when seconds are not soft. */
    price: string;
    perUnits: number;
  }[];
  /** The users with the most overage money first (at most `limit`); `units` per billable feature. */
  users: {
    userId: string;
    tier: TierName;
    overageSeconds: number;
    amount: string;
    units: Partial<Record<BillableFeature, number>>;
  }[];
}

/** Overage seconds per user and tier in the billing month, and what they bill at the tier's rate. */
export async function overageReport(
  db: Db,
  params: { month: string; tiers: Tiers; limit: number },
): Promise<Overage> {
  const perFeature = overageLines(ofBillingMonth(params.month), params.tiers);
  const perUser = sql`
    SELECT user_id, tier, coalesce(sum(units) FILTER (WHERE feature = ${practiceTime(params.tiers)}), 0) AS seconds,
      sum(amount) AS amount, jsonb_object_agg(feature, units::float8) AS units
    FROM (${perFeature}) f GROUP BY user_id, tier`;
  const [tierRows, users] = await inReport(db, (tx) =>
    Promise.all([
      queryRows<Omit<Overage["byTier"][number], "price" | "perUnits">>(
        tx,
        sql`SELECT t.tier AS "tier", count(u.user_id)::int AS "users", coalesce(sum(u.seconds), 0)::float8 AS "overageSeconds",
          coalesce(sum(u.amount), 0)::numeric(20, 2)::text AS "amount"
        FROM ${orderedNames(modelOfTiers(params.tiers).tierNames, "t", "tier")}
        LEFT JOIN (${perUser}) u ON u.tier = t.tier
        GROUP BY t.tier, t.rank ORDER BY t.rank`,
      ),
      queryRows<Overage["users"][number]>(
        tx,
        sql`SELECT user_id AS "userId", tier AS "tier", seconds::float8 AS "overageSeconds",
          amount::numeric(20, 2)::text AS "amount", units AS "units"
        FROM (${perUser}) u ORDER BY amount DESC, seconds DESC, user_id LIMIT ${params.limit}`,
      ),
    ]),
  );
  const byTier = tierRows.map((t) => ({ ...t, ...secondsPrice(params.tiers, t.tier) }));
  return { month: params.month, total: sumMoney(byTier.map((t) => t.amount)), byTier, users };
}

export interface UpgradeCandidates {
  month: string;
  candidates: {
    userId: string;
    tier: TierName;
    refusals: { feature: string; count: number; limit: number }[];
    overageSeconds: number;
    /** The month's overage money, every billable feature together, as the bills say. */
    overageMoney: string;
    /** In the current month: the features their pace takes to the limit (`usage.getForecast`). */
    runsOut: { feature: string; limit: number; projected: number; reachesLimitOn: string }[];
    /** What they are worth: their overage money, plus a month of the next tier's price over
     * theirs if a limit refused them or will. */
    worth: string;
  }[];
}

/**
 * Users their tier refused at a hard limit in the UTC month, who ran overage, or — in the
 * current month — whose pace takes them to a limit by the end of their local month (the kept
 * forecasts, `rollups/forecasts.ts`): the most worth first (at most `limit`). Ranked on numbers
 * over the refused and overage learners, and the first `limit` learners in id order of each
 * tier among the rest (whose worth is their tier's gain alone); the lists are built for the
 * learners returned only.
 */
export async function upgradeCandidates(
  db: Db,
  params: { month: string; tiers: Tiers; limit: number; now: Date },
): Promise<UpgradeCandidates> {
  const current = params.month === utcYearMonth(params.now);
  const kept = current
    ? sql`usagekit.forecasts`
    : sql`(SELECT * FROM usagekit.forecasts WHERE false)`;
  /** The lists of the users ranked first (`top`): each built for those few users only. */
  const listOf = (from: SQL, object: SQL, order: SQL) =>
    sql`SELECT x.user_id, jsonb_agg(${object} ORDER BY ${order}) AS list
      FROM ${from} x JOIN top t USING (user_id) GROUP BY x.user_id`;
  const candidates = await inReport(
    db,
    (tx) =>
      queryRows<UpgradeCandidates["candidates"][number]>(
        tx,
        sql`
    WITH month_refusals AS (
      SELECT user_id, feature, "limit", tier, occurred_at, id FROM usagekit.limit_refusals
      WHERE ${inMonth("occurred_at", params.month)}
    ), refused AS (
      SELECT user_id, feature, count(*)::int AS count, max("limit")::float8 AS "limit"
      FROM month_refusals GROUP BY user_id, feature
    ), over AS (
      SELECT user_id, sum(units) FILTER (WHERE feature = ${practiceTime(params.tiers)}) AS seconds,
        sum(amount) AS amount
      FROM (${overageLines(ofBillingMonth(params.month), params.tiers)}) o GROUP BY user_id
    ), refusers AS (
      -- Each refused learner once: how often, and the tier and instant of their latest refusal.
      SELECT DISTINCT ON (user_id) user_id, count(*) OVER (PARTITION BY user_id) AS total,
        occurred_at AS at, tier
      FROM month_refusals ORDER BY user_id, occurred_at DESC, id DESC
    ), paying AS MATERIALIZED (
      SELECT user_id, coalesce(r.total, 0) AS total, r.tier AS refused_tier, r.at AS refused_at,
        coalesce(o.seconds, 0) AS seconds, coalesce(o.amount, 0) AS amount
      FROM refusers r FULL JOIN over o USING (user_id)
    ), ranked AS (
      -- The refused and overage learners at their month's plan: the tier of their latest event
      -- in it (the rollups'), or of their latest refusal when that came later (or of their
      -- forecast, with neither); a gain if a limit refused them or will.
      SELECT p.user_id, p.total, p.seconds, p.amount,
        coalesce(CASE WHEN p.refused_at > m.last_at OR m.user_id IS NULL THEN p.refused_tier
          ELSE m.tier END, (SELECT min(k.tier) FROM ${kept} k WHERE k.user_id = p.user_id)) AS tier,
        p.total > 0 OR EXISTS (SELECT 1 FROM ${kept} k WHERE k.user_id = p.user_id) AS gains
      FROM paying p LEFT JOIN usagekit.rollup_months m ON m.user_id = p.user_id
        AND m.month = ${monthDate(params.month)}
      UNION ALL
      -- Of the rest whose pace reaches a limit — worth their tier's gain alone — the first of
      -- each tier they rank at, in id order (the kept forecasts' index).
      SELECT b.user_id, 0, 0, 0, coalesce(m.tier, b.tier), true
      FROM ${upgradeGains(params.tiers)} CROSS JOIN LATERAL (
        SELECT k.user_id, min(k.tier) AS tier FROM ${kept} k
        WHERE k.plan_tier = gains.tier AND k.user_id NOT IN (SELECT user_id FROM paying)
        GROUP BY k.user_id ORDER BY k.user_id LIMIT ${params.limit}) b
      LEFT JOIN usagekit.rollup_months m ON m.user_id = b.user_id AND m.month = ${monthDate(params.month)}
    ), top AS (
      SELECT r.user_id, r.tier, r.seconds, r.amount, r.total,
        r.amount + CASE WHEN r.gains THEN gains.gain ELSE 0 END AS value
      FROM ranked r JOIN ${upgradeGains(params.tiers)} ON gains.tier = r.tier
      ORDER BY value DESC, total DESC, seconds DESC, user_id
      LIMIT ${params.limit}
    ), refusals AS (
      ${listOf(sql`refused`, sql`jsonb_build_object('feature', feature, 'count', count, 'limit', "limit")`, sql`count DESC, feature`)}
    ), runs_out AS (
      ${listOf(
        kept,
        sql`jsonb_build_object('feature', feature, 'limit', "limit", 'projected', projected,
          'reachesLimitOn', ${dateText(sql`reaches`)})`,
        sql`reaches, feature`,
      )}
    )
    SELECT t.user_id AS "userId", t.tier AS "tier", coalesce(r.list, '[]'::jsonb) AS "refusals",
      t.seconds::float8 AS "overageSeconds", t.amount::numeric(20, 2)::text AS "overageMoney",
      coalesce(n.list, '[]'::jsonb) AS "runsOut", t.value::numeric(20, 2)::text AS "worth"
    FROM top t LEFT JOIN refusals r USING (user_id) LEFT JOIN runs_out n USING (user_id)
    ORDER BY t.value DESC, t.total DESC, t.seconds DESC, t.user_id`,
      ),
    256,
  );
  return { month: params.month, candidates };
}
