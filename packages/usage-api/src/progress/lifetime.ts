import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { LifetimeField, TierName } from "@usagekit/db/catalog";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { dayRuns, instant, instantOut, localDay } from "../calendar/local-month";

/** A lifetime row as the API returns it: a total per catalog feature, and the rest. */
export type LifetimeStats = Record<LifetimeField, number> & {
  daysActive: number;
  currentStreak: number;
  longestStreak: number;
  averageSessionsPerMonth: number;
  firstConversationAt: Date | null;
  lastActiveAt: Date | null;
  monthsSubscribed: number;
  totalRevenue: string;
  highestTierReached: TierName;
  /** Per feature, what grants gave the user in all, and what of it was used. */
  granted: Record<string, number>;
  usedFromGrants: Record<string, number>;
  /** What the user paid for top-ups (`recordPayment` with `kind: "topUp"`), within totalRevenue. */
  topUpRevenue: string;
  createdAt: Date | null;
  updatedAt: Date | null;
};

/**
 * The lifetime row plus what is derived when read: streaks (runs of consecutive local days in
 * `daily_activity`, the current one ending today or yesterday) and sessions per month.
 * An unknown user reads as zeros.
 */
export async function getLifetimeStats(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<LifetimeStats> {
  const { defaultTierSql, eachFeature, featureColumns, lifetimeField, role } = columnsOf(
    params.tiers,
  );
  const id = sql`${params.userId}::text`;
  const [row] = await queryRows<LifetimeStats>(
    db,
    sql`
    WITH u AS (
      SELECT coalesce(max(timezone), 'UTC') AS tz FROM usagekit.users WHERE id = ${id}
    ), t AS (
      SELECT tz, ${localDay(instant(params.now), sql`tz`)} AS today FROM u
    ), runs AS (${dayRuns(id)}), s AS (
      SELECT coalesce(max(len), 0)::int AS longest,
        coalesce(max(len) FILTER (WHERE last_day >= t.today - 1), 0)::int AS current
      FROM t LEFT JOIN runs ON true
    )
    SELECT
      ${eachFeature((f) => sql.raw(`coalesce(l.${featureColumns[f].lifetime}, 0)::float8 AS "${lifetimeField[f]}"`))},
      coalesce(l.days_active, 0) AS "daysActive",
      s.current AS "currentStreak",
      s.longest AS "longestStreak",
      -- At least one month: an event up to 5 minutes ahead may already be in next month.
      CASE WHEN l.first_active_at IS NULL THEN 0 ELSE round(${sql.raw(`l.${featureColumns[role.conversation].lifetime}`)}::numeric / greatest(1,
        (extract(year FROM t.today) * 12 + extract(month FROM t.today))
        - (extract(year FROM ${localDay(sql`l.first_active_at`, sql`t.tz`)}) * 12
           + extract(month FROM ${localDay(sql`l.first_active_at`, sql`t.tz`)})) + 1))::float8
      END AS "averageSessionsPerMonth",
      ${instantOut(sql`l.first_conversation_at`)} AS "firstConversationAt",
      ${instantOut(sql`l.last_active_at`)} AS "lastActiveAt",
      coalesce(l.months_subscribed, 0) AS "monthsSubscribed",
      coalesce(l.total_revenue, 0.00)::numeric(20, 2)::text AS "totalRevenue",
      coalesce(l.highest_tier_reached, ${defaultTierSql}) AS "highestTierReached",
      (SELECT coalesce(jsonb_object_agg(feature, total), '{}'::jsonb) FROM (SELECT feature,
        sum(amount) AS total FROM usagekit.grants WHERE user_id = ${id} GROUP BY feature) g) AS "granted",
      (SELECT coalesce(jsonb_object_agg(feature, used), '{}'::jsonb) FROM (SELECT feature,
        sum(amount - remaining) AS used FROM usagekit.grants WHERE user_id = ${id} GROUP BY feature) g
        WHERE used > 0) AS "usedFromGrants",
      (SELECT coalesce(sum(amount), 0.00)::numeric(20, 2)::text FROM usagekit.payments
        WHERE user_id = ${id} AND kind = 'topUp') AS "topUpRevenue",
      ${instantOut(sql`l.created_at`)} AS "createdAt",
      ${instantOut(sql`l.updated_at`)} AS "updatedAt"
    FROM t CROSS JOIN s LEFT JOIN usagekit.lifetime_stats l ON l.user_id = ${id}`,
  );
  return row!;
}
