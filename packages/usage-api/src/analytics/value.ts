import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { inReport, monthUsers, orderedNames, utcMonthStart } from "./activity";

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

const ratio = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;

/**
 * What each feature is worth per tier in a UTC month: how many of the tier's users use it, how
 * much, and whether those who used it the month before came back more often than those who did
 * not. A month's plan is the plan of the user's latest event in it, as in every report.
 */
export async function featureValue(
  db: Db,
  { month, tiers }: { month: string; tiers: Tiers },
): Promise<FeatureValue> {
  const c = columnsOf(tiers);
  const { eachFeature, features, ledgerCol, tierNames } = c;
  // One row per tier, with each feature's figures as its own columns ("<feature>:<figure>").
  const as = (f: Feature, figure: string) => sql.raw(`"${f}:${figure}"`);
  const rows = await inReport(db, (tx) =>
    queryRows<{ tier: TierName; active: number | null } & Record<string, number | null>>(
      tx,
      sql`
    WITH cur AS (${monthUsers(c, month)}), prev AS (${monthUsers(c, month, -1)}),
    now_used AS (
      SELECT tier AS now_tier, count(*)::int AS active,
        ${eachFeature(
          (f) => sql`count(*) FILTER (WHERE ${ledgerCol(f)} > 0)::int AS ${as(f, "users")},
          coalesce(avg(${ledgerCol(f)}) FILTER (WHERE ${ledgerCol(f)} > 0), 0)::float8 AS ${as(f, "perUser")}`,
        )}
      FROM cur GROUP BY tier
    ), came_back AS (
      SELECT p.tier AS prev_tier,
        ${eachFeature(
          (f) => sql`count(*) FILTER (WHERE p.${ledgerCol(f)} > 0)::int AS ${as(f, "withUsers")},
          count(c.user_id) FILTER (WHERE p.${ledgerCol(f)} > 0)::int AS ${as(f, "withBack")},
          count(*) FILTER (WHERE p.${ledgerCol(f)} = 0)::int AS ${as(f, "withoutUsers")},
          count(c.user_id) FILTER (WHERE p.${ledgerCol(f)} = 0)::int AS ${as(f, "withoutBack")}`,
        )}
      FROM prev p LEFT JOIN cur c USING (user_id) GROUP BY p.tier
    )
    SELECT t.tier AS "tier", n.*, b.*
    FROM ${orderedNames(tierNames, "t", "tier")}
    LEFT JOIN now_used n ON n.now_tier = t.tier
    LEFT JOIN came_back b ON b.prev_tier = t.tier
    ORDER BY t.rank`,
    ),
  );
  return {
    month,
    previousMonth: utcMonthStart(month, -1).toISOString().slice(0, 7),
    tiers: rows.map((r) => {
      const figure = (f: Feature, name: string) => r[`${f}:${name}`] ?? 0;
      const active = r.active ?? 0;
      return {
        tier: r.tier,
        activeUsers: active,
        features: Object.fromEntries(
          features.map((f) => [
            f,
            {
              users: figure(f, "users"),
              adoption: ratio(figure(f, "users"), active) ?? 0,
              perUser: Math.round(figure(f, "perUser") * 100) / 100,
              retainedWith: ratio(figure(f, "withBack"), figure(f, "withUsers")),
              retainedWithout: ratio(figure(f, "withoutBack"), figure(f, "withoutUsers")),
            },
          ]),
        ) as FeatureValue["tiers"][number]["features"],
      };
    }),
  };
}
