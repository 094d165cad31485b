import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { tierNames } from "../tiers";
import type { TierName, Tiers } from "../tiers";
import { inReport, orderedNames, utcMonth } from "./analytics-activity";
import { overageSql, softSecondsSql } from "./tier-sql";

/** `YYYY-MM` as the date of its first day (built from numbers, never parsed from text). */
const billingMonth = (month: string) => {
  const [year, m] = month.split("-").map(Number) as [number, number];
  return sql`make_date(${year}::int, ${m}::int, 1)`;
};

/**
 * Each event of the billing month `month` (each user's own local month: the monthly row's month)
 * with the overage seconds it caused, replayed in ledger order at its tier's limit exactly as the
 * monthly row counted it — so the money always agrees with the rows' `overageSeconds`. Only the
 * rows with overage are replayed (reconcile keeps those rows equal to the ledger).
 */
const overageEvents = (month: string, tiers: Tiers) => sql`
  SELECT user_id, tier, occurred_at,
    ${overageSql(sql`ev.soft_seconds`, sql`ev.run - ev.seconds`, sql`ev.seconds`)} AS overage_seconds
  FROM (
    SELECT e.*, ${softSecondsSql(tiers, sql`e.tier`)} AS soft_seconds,
      sum(e.seconds) OVER (PARTITION BY e.user_id ORDER BY e.id) AS run
    FROM monthly_usage m JOIN usage_events e ON e.user_id = m.user_id AND e.month = m.month
    WHERE m.overage_seconds > 0 AND e.seconds > 0 AND m.month = ${billingMonth(month)}
  ) ev`;

/** Each paid tier's overage price as a constant table: (tier, price, per_units). */
const overagePrices = (tiers: Tiers): SQL =>
  sql.raw(
    `(VALUES ${tierNames
      .map((t) => {
        const o = tiers[t].seconds.overage;
        return `('${t}', ${o ? `${o.price}::numeric, ${o.perUnits}` : "0::numeric, 1"})`;
      })
      .join(", ")}) AS prices(tier, price, per_units)`,
  );

export interface Overage {
  month: string;
  /** Billable total: the sum of every user's amount, each rounded to the cent. */
  total: string;
  byTier: {
    tier: TierName;
    users: number;
    overageSeconds: number;
    amount: string;
    price: string;
    perUnits: number;
  }[];
  /** The users with the most overage first (at most `limit`). */
  users: { userId: string; tier: TierName; overageSeconds: number; amount: string }[];
}

/** Overage seconds per user and tier in the billing month, and what they bill at the tier's rate. */
export async function overageReport(
  db: Db,
  params: { month: string; tiers: Tiers; limit: number },
): Promise<Overage> {
  const perUser = sql`
    SELECT o.user_id, o.tier, sum(o.overage_seconds) AS seconds,
      round(sum(o.overage_seconds) * prices.price / prices.per_units, 2) AS amount,
      prices.price, prices.per_units
    FROM (${overageEvents(params.month, params.tiers)}) o JOIN ${overagePrices(params.tiers)} USING (tier)
    GROUP BY o.user_id, o.tier, prices.price, prices.per_units HAVING sum(o.overage_seconds) > 0`;
  const [byTier, users] = await inReport(db, (tx) =>
    Promise.all([
      queryRows<Overage["byTier"][number]>(
        tx,
        sql`SELECT t.tier AS "tier", count(u.user_id)::int AS "users", coalesce(sum(u.seconds), 0)::float8 AS "overageSeconds",
          coalesce(sum(u.amount), 0)::numeric(20, 2)::text AS "amount",
          prices.price::text AS "price", prices.per_units::int AS "perUnits"
        FROM ${overagePrices(params.tiers)}
        JOIN ${orderedNames(tierNames, "t", "tier")} USING (tier)
        LEFT JOIN (${perUser}) u ON u.tier = t.tier
        GROUP BY t.tier, t.rank, prices.price, prices.per_units ORDER BY t.rank`,
      ),
      queryRows<Overage["users"][number]>(
        tx,
        sql`SELECT user_id AS "userId", tier AS "tier", seconds::float8 AS "overageSeconds",
          amount::numeric(20, 2)::text AS "amount"
        FROM (${perUser}) u ORDER BY seconds DESC, user_id LIMIT ${params.limit}`,
      ),
    ]),
  );
  const cents = byTier.reduce((sum, t) => sum + BigInt(t.amount.replace(".", "")), 0n);
  const total = `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
  return { month: params.month, total, byTier, users };
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
      FROM limit_refusals
      WHERE occurred_at >= ${utcMonth(params.month)} AND occurred_at < ${utcMonth(params.month, 1)}
      GROUP BY user_id, feature
    ), over AS (
      SELECT user_id, sum(overage_seconds) AS seconds FROM (${overageEvents(params.month, params.tiers)}) o
      GROUP BY user_id HAVING sum(overage_seconds) > 0
    ), per_user AS (
      SELECT user_id, sum(count) AS total,
        jsonb_agg(jsonb_build_object('feature', feature, 'count', count, 'limit', "limit")
          ORDER BY count DESC, feature) AS list
      FROM refused GROUP BY user_id
    )
    SELECT w.user_id AS "userId", coalesce(u.tier, 'free') AS "tier",
      coalesce(r.list, '[]'::jsonb) AS "refusals", coalesce(o.seconds, 0)::float8 AS "overageSeconds"
    FROM (SELECT user_id FROM per_user UNION SELECT user_id FROM over) w
    LEFT JOIN per_user r USING (user_id) LEFT JOIN over o USING (user_id)
    LEFT JOIN users u ON u.id = w.user_id
    ORDER BY coalesce(r.total, 0) DESC, coalesce(o.seconds, 0) DESC, w.user_id
    LIMIT ${params.limit}`,
    ),
  );
  return { month: params.month, candidates };
}
