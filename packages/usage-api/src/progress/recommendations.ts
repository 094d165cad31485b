import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { hardLimitOf, modelOfTiers } from "../limits/tiers";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { overageLines } from "../billing/money";
import { forecastOf } from "./forecast";
import { columnsOf } from "../store/columns";
import {
  dayRuns,
  instant,
  instantOut,
  localDay,
  localMonth,
  monthEnd,
} from "../calendar/local-month";

export type Recommendation =
  | {
      kind: "runsOut";
      feature: Feature;
      /** The local date the learner's pace reaches the limit (getForecast). */
      on: string;
      used: number;
      limit: number;
      /** The next plan that gives more of it, and how much; null on the highest. */
      upgrade: { tier: TierName; limit: number | null } | null;
    }
  | { kind: "nearLimit"; feature: Feature; used: number; limit: number; resetsAt: Date }
  | { kind: "unused"; feature: Feature; limit: number | null }
  | { kind: "streakAtRisk"; streak: number }
  | { kind: "cheaperPlan"; tier: TierName; overage: string; saves: string };

/** Share of a hard limit from which "nearly used up" is said. */
const NEAR = 0.8;

/** (tier, feature, hard limit or NULL, "in plan") for every tier and feature, as SQL constants. */
const limitRows = (tiers: Tiers) =>
  sql.raw(
    `(VALUES ${modelOfTiers(tiers)
      .tierNames.flatMap((t) =>
        modelOfTiers(tiers).features.map((f) => {
          const { limit } = tiers[t][f];
          return `('${t}', '${f}', ${hardLimitOf(tiers[t], f) ?? "NULL"}::bigint, ${limit === null || limit > 0})`;
        }),
      )
      .join(", ")}) AS lim(tier, feature, hard_limit, in_plan)`,
  );

/** The first tier above `tier` that gives more of `feature` (or all of it), with that limit. */
function upgradeFor(tiers: Tiers, tier: TierName, feature: Feature) {
  const names = modelOfTiers(tiers).tierNames;
  const own = tiers[tier][feature].limit;
  const next = names
    .slice(names.indexOf(tier) + 1)
    .find((t) => own !== null && (tiers[t][feature].limit ?? Infinity) > own);
  return next === undefined ? null : { tier: next, limit: tiers[next][feature].limit };
}

/**
 * The hard limits the learner's own pace reaches before the month ends (getForecast), first:
 * "at this pace you run out on 24 Nov — Plus gives 300 a month".
 */
async function runningOut(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<Recommendation[]> {
  const forecast = await forecastOf(db, params);
  return Object.entries(forecast.features).flatMap(([f, fc]) => {
    const feature = f as Feature;
    if (!fc || fc.reachesLimitOn === null || fc.used >= fc.limit) return [];
    if (hardLimitOf(params.tiers[forecast.tier], feature) === null) return [];
    const upgrade = upgradeFor(params.tiers, forecast.tier, feature);
    return [
      {
        kind: "runsOut" as const,
        feature,
        on: fc.reachesLimitOn,
        used: fc.used,
        limit: fc.limit,
        upgrade,
      },
    ];
  });
}

/**
 * What a learner could do next, from their own usage: the limits their pace reaches this month
 * (`runningOut`), then, in one SQL statement, features of their plan nearly used up this month
 * (with when they reset), a streak that breaks unless they practise today (in their zone), a
 * higher plan that would have cost less than their plan plus this month's overage, and features
 * of their plan not used yet this month.
 */
export async function getRecommendations(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<Recommendation[]> {
  const { catalog, defaultTierSql, featureColumns, features, tierNames } = columnsOf(params.tiers);
  const id = sql`${params.userId}::text`;
  const now = instant(params.now);
  const usedRows = sql.raw(
    features
      .map((f, ord) => `('${f}', coalesce(m.${featureColumns[f].monthly}, 0), ${ord})`)
      .join(", "),
  );
  const prices = sql.raw(
    `(VALUES ${tierNames.map((t, rank) => `('${t}', ${rank}, ${catalog.tiers[t]!.price}::numeric)`).join(", ")}) AS p(tier, rank, price)`,
  );
  const rows = await queryRows<{
    kind: Recommendation["kind"];
    feature: string | null;
    used: number | null;
    limit: number | null;
    resetsAt: Date | null;
    streak: number | null;
    tier: string | null;
    overage: string | null;
    saves: string | null;
  }>(
    db,
    sql`
    WITH u AS (
      SELECT coalesce(max(tier), ${defaultTierSql}) AS tier, coalesce(max(timezone), 'UTC') AS tz
      FROM usagekit.users WHERE id = ${id}
    ), t AS (
      SELECT tier, tz, ${localDay(now, sql`tz`)} AS today, ${localMonth(now, sql`tz`)} AS month,
        ${monthEnd(localMonth(now, sql`tz`), sql`tz`)} AS resets_at
      FROM u
    ), m AS (
      SELECT m.* FROM t LEFT JOIN usagekit.monthly_usage m ON m.user_id = ${id} AND m.month = t.month
    ), used AS (
      SELECT f.feature, f.used::float8 AS used, f.ord
      FROM m, LATERAL (VALUES ${usedRows}) AS f(feature, used, ord)
    ), mine AS (
      SELECT used.*, lim.hard_limit::float8 AS hard_limit, lim.in_plan
      FROM used JOIN t ON true JOIN ${limitRows(params.tiers)} ON lim.tier = t.tier AND lim.feature = used.feature
    ), runs AS (${dayRuns(id)}), money AS (
      -- This month's overage money so far: the bills' lines (billing/money.ts).
      SELECT coalesce((SELECT sum(amount) FROM (${overageLines(
        sql`m.user_id = ${id} AND m.month = (SELECT month FROM t)`,
        params.tiers,
      )}) l), 0) AS overage, p.price, p.rank FROM t, ${prices} WHERE p.tier = t.tier
    )
    SELECT 'nearLimit' AS kind, feature, used, hard_limit AS "limit", ${instantOut(sql`(SELECT resets_at FROM t)`)} AS "resetsAt",
      NULL::int AS streak, NULL AS tier, NULL AS overage, NULL AS saves, 1 AS k, ord
    FROM mine WHERE hard_limit > 0 AND used < hard_limit AND used >= ${NEAR} * hard_limit
    UNION ALL
    SELECT 'streakAtRisk', NULL, NULL, NULL, NULL, runs.len, NULL, NULL, NULL, 2, 0
    FROM runs, t WHERE runs.last_day = t.today - 1 AND runs.len >= 2
    UNION ALL
    SELECT 'cheaperPlan', NULL, NULL, NULL, NULL, NULL, p.tier, money.overage::text,
      (money.price + money.overage - p.price)::numeric(12, 2)::text, 3, p.rank
    FROM money, ${prices} WHERE money.overage > 0 AND p.rank > money.rank
      AND p.price < money.price + money.overage
    UNION ALL
    SELECT 'unused', feature, NULL, hard_limit, NULL, NULL, NULL, NULL, NULL, 4, ord
    FROM mine WHERE in_plan AND used = 0 AND hard_limit IS NOT NULL
    ORDER BY k, ord`,
  );
  const soon = await runningOut(db, params);
  return [
    ...soon,
    ...rows.map((r): Recommendation => {
      switch (r.kind) {
        case "nearLimit":
          return {
            kind: r.kind,
            feature: r.feature as Feature,
            used: r.used!,
            limit: r.limit!,
            resetsAt: r.resetsAt!,
          };
        case "streakAtRisk":
          return { kind: r.kind, streak: r.streak! };
        case "cheaperPlan":
          return { kind: r.kind, tier: r.tier as TierName, overage: r.overage!, saves: r.saves! };
        default:
          return { kind: "unused", feature: r.feature as Feature, limit: r.limit };
      }
    }),
  ];
}
