import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { modelOfTiers } from "../limits/tiers";
import type { BillableFeature, TierName, Tiers } from "../limits/tiers";
import { inMonth, inReport, monthDate, orderedNames } from "./activity";
import { overageLines, sumMoney, upgradeGains } from "../billing/money";
import { dateText } from "../calendar/local-month";
import { forecastsSql } from "./runs-out";

/**
 * The ledger's local months (its partitions) that can hold an instant of the UTC month `month`:
 * that month and its neighbours (zones are at most 14 h from UTC), so a read prunes the rest.
 */
const nearLocalMonths = (month: string) =>
  sql`month >= ${monthDate(month, -1)} AND month <= ${monthDate(month, 1)}`;

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
 * current month — whose pace takes them to a limit by the end of their local month: the most
 * worth first (at most `limit`).
 */
export async function upgradeCandidates(
  db: Db,
  params: { month: string; tiers: Tiers; limit: number; now: Date },
): Promise<UpgradeCandidates> {
  const current = params.month === params.now.toISOString().slice(0, 7);
  const runs = current
    ? sql`SELECT user_id, min(tier) AS tier, jsonb_agg(jsonb_build_object('feature', feature,
          'limit', "limit", 'projected', projected, 'reachesLimitOn', ${dateText(sql`reaches`)})
          ORDER BY reaches, feature) AS list
        FROM (${forecastsSql(params.tiers, params.now)}) f WHERE reaches IS NOT NULL GROUP BY user_id`
    : sql`SELECT NULL::text AS user_id, NULL::text AS tier, NULL::jsonb AS list WHERE false`;
  const candidates = await inReport(db, (tx) =>
    queryRows<UpgradeCandidates["candidates"][number]>(
      tx,
      sql`
    WITH refused AS (
      SELECT user_id, feature, count(*)::int AS count, max("limit")::float8 AS "limit"
      FROM usagekit.limit_refusals
      WHERE ${inMonth("occurred_at", params.month)}
      GROUP BY user_id, feature
    ), over AS (
      SELECT user_id, sum(units) FILTER (WHERE feature = ${practiceTime(params.tiers)}) AS seconds,
        sum(amount) AS amount
      FROM (${overageLines(ofBillingMonth(params.month), params.tiers)}) o GROUP BY user_id
    ), runs AS (${runs}), per_user AS (
      SELECT user_id, sum(count) AS total,
        jsonb_agg(jsonb_build_object('feature', feature, 'count', count, 'limit', "limit")
          ORDER BY count DESC, feature) AS list
      FROM refused GROUP BY user_id
    ), who AS (
      SELECT user_id FROM per_user UNION SELECT user_id FROM over UNION SELECT user_id FROM runs
    ), month_plan AS (
      -- The month's plan: the tier of the user's latest event in it, a refusal included.
      SELECT DISTINCT ON (e.user_id) e.user_id, e.tier FROM (
        SELECT user_id, tier, occurred_at, id, 1 AS used FROM usagekit.usage_events
        WHERE ${inMonth("occurred_at", params.month)} AND ${nearLocalMonths(params.month)}
          AND user_id IN (SELECT user_id FROM who)
        UNION ALL
        SELECT user_id, tier, occurred_at, id, 0 FROM usagekit.limit_refusals
        WHERE ${inMonth("occurred_at", params.month)} AND user_id IN (SELECT user_id FROM who)
      ) e ORDER BY e.user_id, e.occurred_at DESC, e.used DESC, e.id DESC
    ), worth AS (
      SELECT w.user_id, coalesce(m.tier, n.tier) AS tier, r.list AS refusals, n.list AS runs,
        coalesce(o.seconds, 0) AS seconds, coalesce(o.amount, 0) AS amount,
        coalesce(o.amount, 0) + CASE WHEN r.list IS NULL AND n.list IS NULL THEN 0 ELSE gains.gain END AS value,
        coalesce(r.total, 0) AS total
      FROM who w LEFT JOIN month_plan m USING (user_id) LEFT JOIN runs n USING (user_id)
      LEFT JOIN per_user r USING (user_id) LEFT JOIN over o USING (user_id)
      JOIN ${upgradeGains(params.tiers)} ON gains.tier = coalesce(m.tier, n.tier)
    )
    SELECT user_id AS "userId", tier AS "tier", coalesce(refusals, '[]'::jsonb) AS "refusals",
      seconds::float8 AS "overageSeconds", amount::numeric(20, 2)::text AS "overageMoney",
      coalesce(runs, '[]'::jsonb) AS "runsOut", value::numeric(20, 2)::text AS "worth"
    FROM worth
    ORDER BY value DESC, total DESC, seconds DESC, user_id
    LIMIT ${params.limit}`,
    ),
  );
  return { month: params.month, candidates };
}
