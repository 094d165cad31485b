import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { Tiers } from "../limits/tiers";
import { localMonth } from "../calendar/local-month";
import { monthDate } from "./activity";

export interface Monetization {
  month: string;
  /** Per feature and threshold, how many learners reached it this month (the alerts raised). */
  alerts: { feature: string; threshold: number; learners: number }[];
  topUps: {
    /** What top-up payments (`kind: "topUp"`) brought in the month, a decimal string. */
    revenue: string;
    /** Learners who paid for a top-up. */
    payers: number;
    /** Per feature, what grants made in the month gave, and what the month used of grants. */
    granted: Record<string, number>;
    usedFromGrants: Record<string, number>;
  };
}

/**
 * The conversion path in a month (each learner's own local month): who reached which threshold
 * of a limit, and what top-ups brought and were used.
 */
export async function monetization(
  db: Db,
  params: { month: string; tiers: Tiers },
): Promise<Monetization> {
  const month = monthDate(params.month);
  const [row] = await queryRows<Omit<Monetization, "month">>(
    db,
    sql`SELECT
      (SELECT coalesce(jsonb_agg(jsonb_build_object('feature', feature, 'threshold', threshold,
          'learners', n) ORDER BY feature, threshold), '[]'::jsonb)
        FROM (SELECT feature, threshold, count(*)::int AS n FROM usagekit.alerts
          WHERE month = ${month} GROUP BY feature, threshold) a) AS "alerts",
      jsonb_build_object(
        'revenue', (SELECT coalesce(sum(amount), 0.00)::numeric(20, 2)::text FROM usagekit.payments
          WHERE kind = 'topUp' AND month = ${month}),
        'payers', (SELECT count(DISTINCT user_id)::int FROM usagekit.payments
          WHERE kind = 'topUp' AND month = ${month}),
        'granted', (SELECT usagekit.jsonb_sum(jsonb_build_object(g.feature, g.amount))
          FROM usagekit.grants g JOIN usagekit.users u ON u.id = g.user_id
          WHERE ${localMonth(sql`g.created_at`, sql`u.timezone`)} = ${month}),
        'usedFromGrants', (SELECT usagekit.jsonb_sum(granted) FROM usagekit.monthly_usage
          WHERE month = ${month} AND granted <> '{}'::jsonb)
      ) AS "topUps"`,
  );
  return { month: params.month, ...row! };
}
