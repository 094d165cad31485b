import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { BillableFeature, TierName, Tiers } from "../limits/tiers";
import { overageLines } from "./money";
import { currentLocalMonth } from "../progress/history";

export interface BillingMonth {
  /** The user's billing month (`YYYY-MM`, in their time zone). */
  month: string;
  /** The month's plan: the tier of its latest event, or of its payment when nothing was used. */
  tier: TierName;
  /** Payments that fall in the month, decimal string. */
  paid: string;
  /** Overage money of the month at the rates of the tiers it was used on, decimal string. */
  overage: string;
  overageUnits: Partial<Record<BillableFeature, number>>;
  /** `paid` + `overage`. */
  total: string;
}

/**
 * A user's bills, newest first: each of the last `months` local months with usage or a payment,
 * with what was paid and the overage it ran — the same replay and rounding as the `overage`
 * report, so a user's overage here is their line there.
 */
export async function getBillingHistory(
  db: Db,
  params: { userId: string; months: number; now: Date; tiers: Tiers },
): Promise<BillingMonth[]> {
  const user = sql`${params.userId}::text`;
  return queryRows<BillingMonth>(
    db,
    sql`
    WITH p AS (${currentLocalMonth(params.userId, params.now)}), over AS (
      SELECT month, sum(amount) AS amount, jsonb_object_agg(feature, units::float8) AS units
      FROM (SELECT month, feature, sum(units) AS units, sum(amount) AS amount
        FROM (${overageLines(sql`m.user_id = ${user}`, params.tiers)}) l GROUP BY month, feature) f
      GROUP BY month
    ), paid AS (
      SELECT month, sum(amount) AS amount, (array_agg(tier ORDER BY paid_at DESC))[1] AS tier
      FROM usagekit.payments WHERE user_id = ${user} GROUP BY month
    ), used AS (
      SELECT month, tier_when_used AS tier FROM usagekit.monthly_usage WHERE user_id = ${user}
    )
    SELECT to_char(b.month, 'YYYY-MM') AS "month", coalesce(u.tier, paid.tier) AS "tier",
      coalesce(paid.amount, 0)::numeric(20, 2)::text AS "paid",
      coalesce(o.amount, 0)::numeric(20, 2)::text AS "overage",
      coalesce(o.units, '{}'::jsonb) AS "overageUnits",
      (coalesce(paid.amount, 0) + coalesce(o.amount, 0))::numeric(20, 2)::text AS "total"
    FROM (SELECT month FROM used UNION SELECT month FROM paid) b
    CROSS JOIN p
    LEFT JOIN used u USING (month) LEFT JOIN paid USING (month) LEFT JOIN over o USING (month)
    WHERE b.month > p.current_month - make_interval(months => ${params.months}::int)
    ORDER BY b.month DESC`,
  );
}
