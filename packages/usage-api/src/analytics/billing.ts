import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { modelOfTiers } from "../limits/tiers";
import type { BillableFeature, TierName, Tiers } from "../limits/tiers";
import { inMonth, inReport, orderedNames } from "./activity";
import { overageLines, sumMoney } from "../billing/money";

/** `YYYY-MM` as the date of its first day (built from numbers, never parsed from text). */
export const billingMonth = (month: string) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return sql`make_date(${year}::int, ${m}::int, 1)`;
};

/** The monthly rows (`m`) of the billing month `month`: each user's own local month. */
const ofBillingMonth = (month: string) => sql`m.month = ${billingMonth(month)}`;

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
  }[];
}

/**
 * Users their tier refused at a hard limit in the UTC month, or who ran overage: the most
 * refusals first, then the most overage (at most `limit`).
 */
export async function upgradeCandidates(
  db: Db,
  params: { month: string; tiers: Tiers; limit: number },
): Promise<UpgradeCandidates> {
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
      SELECT user_id, sum(units) AS seconds FROM (${overageLines(ofBillingMonth(params.month), params.tiers)}) o
      WHERE feature = ${practiceTime(params.tiers)} GROUP BY user_id
    ), per_user AS (
      SELECT user_id, sum(count) AS total,
        jsonb_agg(jsonb_build_object('feature', feature, 'count', count, 'limit', "limit")
          ORDER BY count DESC, feature) AS list
      FROM refused GROUP BY user_id
    ), who AS (
      SELECT user_id FROM per_user UNION SELECT user_id FROM over
    ), month_plan AS (
      -- The month's plan: the tier of the user's latest event in it, a refusal included.
      SELECT DISTINCT ON (e.user_id) e.user_id, e.tier FROM (
        SELECT user_id, tier, occurred_at, id, 1 AS used FROM usagekit.usage_events
        WHERE ${inMonth("occurred_at", params.month)} AND user_id IN (SELECT user_id FROM who)
        UNION ALL
        SELECT user_id, tier, occurred_at, id, 0 FROM usagekit.limit_refusals
        WHERE ${inMonth("occurred_at", params.month)} AND user_id IN (SELECT user_id FROM who)
      ) e ORDER BY e.user_id, e.occurred_at DESC, e.used DESC, e.id DESC
    )
    SELECT w.user_id AS "userId", m.tier AS "tier",
      coalesce(r.list, '[]'::jsonb) AS "refusals", coalesce(o.seconds, 0)::float8 AS "overageSeconds"
    FROM who w JOIN month_plan m USING (user_id)
    LEFT JOIN per_user r USING (user_id) LEFT JOIN over o USING (user_id)
    ORDER BY coalesce(r.total, 0) DESC, coalesce(o.seconds, 0) DESC, w.user_id
    LIMIT ${params.limit}`,
    ),
  );
  return { month: params.month, candidates };
}
