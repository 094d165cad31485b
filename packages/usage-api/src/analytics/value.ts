import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { hasBit, inReport, monthDate, orderedNames, totalOf, utcMonthStart } from "./activity";
import { utcYearMonth } from "../calendar/window";

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
  const { eachFeature, features, tierNames } = c;
  // One row per tier, with each feature's figures as its own columns ("<feature>:<figure>").
  const as = (f: Feature, figure: string) => sql.raw(`"${f}:${figure}"`);
  const used = (f: Feature) => hasBit(c, "g.positive", f);
  const unused = (f: Feature) => sql`NOT ${used(f)} AND NOT ${hasBit(c, "g.negative", f)}`;
  // The rollups' groups (month, tier, signs of each feature's total): users, their totals, and
  // how many of them were active the next month (`back`).
  const rows = await inReport(db, (tx) =>
    queryRows<{ tier: TierName; active: number | null } & Record<string, number | null>>(
      tx,
      sql`
    WITH now_used AS (
      SELECT tier AS now_tier, sum(users)::int AS active,
        ${eachFeature(
          (f) => sql`coalesce(sum(users) FILTER (WHERE ${used(f)}), 0)::int AS ${as(f, "users")},
          coalesce(sum(${totalOf(c, "g", f)}) FILTER (WHERE ${used(f)})
            / nullif(sum(users) FILTER (WHERE ${used(f)}), 0), 0)::float8 AS ${as(f, "perUser")}`,
        )}
      FROM usagekit.rollup_groups g WHERE month = ${monthDate(month)} GROUP BY tier
    ), came_back AS (
      SELECT tier AS prev_tier,
        ${eachFeature(
          (
            f,
          ) => sql`coalesce(sum(users) FILTER (WHERE ${used(f)}), 0)::int AS ${as(f, "withUsers")},
          coalesce(sum(back) FILTER (WHERE ${used(f)}), 0)::int AS ${as(f, "withBack")},
          coalesce(sum(users) FILTER (WHERE ${unused(f)}), 0)::int AS ${as(f, "withoutUsers")},
          coalesce(sum(back) FILTER (WHERE ${unused(f)}), 0)::int AS ${as(f, "withoutBack")}`,
        )}
      FROM usagekit.rollup_groups g WHERE month = ${monthDate(month, -1)} GROUP BY tier
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
    previousMonth: utcYearMonth(utcMonthStart(month, -1)),
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
