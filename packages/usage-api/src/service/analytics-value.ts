import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { features, tierNames } from "../tiers";
import type { Feature, TierName } from "../tiers";
import { eachFeature, featureColumns } from "./columns";
import { inMonth, inReport, orderedNames, utcMonthStart } from "./analytics-activity";

export interface FeatureValue {
  month: string;
  /** The month whose users' return `retainedWith` / `retainedWithout` measure. */
  previousMonth: string;
  tiers: {
    tier: TierName;
    activeUsers: number;
    features: Record<
      Feature,
      {
        /** Active users of the tier who used the feature in the month, and their share. */
        users: number;
        adoption: number;
        /** Mean amount (in the feature's unit) per user who used it. */
        perUser: number;
        /**
         * Of the tier's users active in the previous month who used the feature then (With) or did
         * not (Without), the share active again this month; null when there were none.
         */
        retainedWith: number | null;
        retainedWithout: number | null;
      }
    >;
  }[];
}

const col = (f: Feature) => sql.raw(featureColumns[f].ledger);
/** Each active user of a UTC month: the month's plan (its latest event's) and the amounts used. */
const perUser = (month: string, offset: number) => sql`
  SELECT user_id, (array_agg(tier ORDER BY occurred_at DESC, id DESC))[1] AS tier,
    ${eachFeature((f) => sql`sum(${col(f)}) AS ${col(f)}`)}
  FROM usagekit.usage_events
  WHERE ${inMonth("occurred_at", month, offset)}
  GROUP BY user_id`;
/** One row per user and feature: `(feature, amount)`. */
const unpivot = (alias: string) =>
  sql`CROSS JOIN LATERAL (VALUES ${eachFeature((f) => sql`(${f}::text, ${sql.raw(alias)}.${col(f)}::float8)`)}) AS v(feature, amount)`;
const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

/**
 * What each feature is worth per tier in a UTC month: how many of the tier's users use it, how
 * much, and whether those who used it the month before came back more often than those who did
 * not. A month's plan is the plan of the user's latest event in it, as in every report.
 */
export async function featureValue(db: Db, { month }: { month: string }): Promise<FeatureValue> {
  const rows = await inReport(db, (tx) =>
    queryRows<{
      tier: TierName;
      feature: Feature;
      activeUsers: number;
      users: number;
      perUser: number;
      withUsers: number;
      withBack: number;
      withoutUsers: number;
      withoutBack: number;
    }>(
      tx,
      sql`
    WITH cur AS (${perUser(month, 0)}), prev AS (${perUser(month, -1)}),
    now_used AS (
      SELECT c.tier, v.feature, count(*)::int AS active, count(*) FILTER (WHERE v.amount > 0)::int AS users,
        coalesce(avg(v.amount) FILTER (WHERE v.amount > 0), 0)::float8 AS per_user
      FROM cur c ${unpivot("c")} GROUP BY c.tier, v.feature
    ), came_back AS (
      SELECT p.tier, v.feature,
        count(*) FILTER (WHERE v.amount > 0)::int AS with_users,
        count(c.user_id) FILTER (WHERE v.amount > 0)::int AS with_back,
        count(*) FILTER (WHERE v.amount = 0)::int AS without_users,
        count(c.user_id) FILTER (WHERE v.amount = 0)::int AS without_back
      FROM prev p LEFT JOIN cur c USING (user_id) ${unpivot("p")} GROUP BY p.tier, v.feature
    )
    SELECT t.tier AS "tier", f.feature AS "feature",
      coalesce(n.active, 0) AS "activeUsers", coalesce(n.users, 0) AS "users",
      coalesce(n.per_user, 0) AS "perUser",
      coalesce(b.with_users, 0) AS "withUsers", coalesce(b.with_back, 0) AS "withBack",
      coalesce(b.without_users, 0) AS "withoutUsers", coalesce(b.without_back, 0) AS "withoutBack"
    FROM ${orderedNames(tierNames, "t", "tier")}
    CROSS JOIN ${orderedNames(features, "f", "feature")}
    LEFT JOIN now_used n ON n.tier = t.tier AND n.feature = f.feature
    LEFT JOIN came_back b ON b.tier = t.tier AND b.feature = f.feature
    ORDER BY t.rank, f.rank`,
    ),
  );
  return {
    month,
    previousMonth: utcMonthStart(month, -1).toISOString().slice(0, 7),
    tiers: tierNames.map((tier) => {
      const mine = rows.filter((r) => r.tier === tier);
      return {
        tier,
        activeUsers: mine[0]?.activeUsers ?? 0,
        features: Object.fromEntries(
          mine.map((r) => [
            r.feature,
            {
              users: r.users,
              adoption: ratio(r.users, r.activeUsers) ?? 0,
              perUser: Math.round(r.perUser * 100) / 100,
              retainedWith: ratio(r.withBack, r.withUsers),
              retainedWithout: ratio(r.withoutBack, r.withoutUsers),
            },
          ]),
        ) as FeatureValue["tiers"][number]["features"],
      };
    }),
  };
}
