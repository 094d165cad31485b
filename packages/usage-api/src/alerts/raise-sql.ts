import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { limitSql } from "../limits/tier-sql";
import type { Feature, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";

/**
 * The insert that raises the alerts the month rows of `from` reached: for every feature with a
 * limit in the row's tier (hard or soft) and every threshold of the catalog, when the month's
 * usage is at or past that share of the limit — exactly once per user, month, feature and
 * threshold (one raised already stays as it is). Run by the same statement as the write that
 * reached it, so an alert is there exactly when its usage is; several thresholds reached by one
 * write (a batch, a settle) are raised together.
 */
export function raiseAlerts(
  tiers: Tiers,
  rows: { from: SQL; userId: SQL; month: SQL; tier: SQL; used: (f: Feature) => SQL },
): SQL {
  const { features, alertThresholds } = columnsOf(tiers);
  const values = sql.join(
    features.flatMap((f) =>
      alertThresholds.map(
        (t) =>
          sql`(${sql.raw(`'${f}'`)}, ${sql.raw(String(t))}, (${rows.used(f)})::bigint,
            ${limitSql(tiers, rows.tier, f)})`,
      ),
    ),
    sql`, `,
  );
  // A row reaches a threshold only if it reaches the lowest one for some feature: checked once
  // per row, before the row's features × thresholds are (most rows of a batch reach none).
  const lowest = Math.min(...alertThresholds);
  const reaches = sql.join(
    features.map((f) => {
      const lim = limitSql(tiers, rows.tier, f);
      return sql`(${lim} > 0 AND (${rows.used(f)})::bigint * 100 >= ${lim} * ${sql.raw(String(lowest))})`;
    }),
    sql` OR `,
  );
  return sql`INSERT INTO usagekit.alerts (user_id, month, feature, threshold, used, "limit")
    SELECT ${rows.userId}, ${rows.month}, t.feature, t.threshold, t.used, t.lim
    FROM ${rows.from} CROSS JOIN LATERAL (VALUES ${values}) AS t(feature, threshold, used, lim)
    WHERE (${reaches}) AND t.lim > 0 AND t.used * 100 >= t.lim * t.threshold
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (user_id, month, feature, threshold) DO NOTHING`;
}
