import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { instantOut } from "../calendar/local-month";
import type { Feature, Tiers } from "../limits/tiers";
import { getForecast } from "../progress/forecast";

/** An alert as it is kept (`usagekit.alerts`). */
export interface StoredAlert {
  /** Stable: a webhook receiver deduplicates by it. */
  id: number;
  userId: string;
  feature: Feature;
  /** Percent of the limit reached. */
  threshold: number;
  used: number;
  limit: number;
  /** The user's local month, `YYYY-MM`. */
  month: string;
  createdAt: Date;
}

export interface Alert extends StoredAlert {
  /**
   * For an alert of the learner's current month, the local date (`YYYY-MM-DD`) their pace reaches
   * the feature's limit (`usage.getForecast`; today once reached), or null: not this month, or an
   * alert of an earlier month.
   */
  runsOutOn: string | null;
}

/** The columns of an alert, as `StoredAlert` (from `usagekit.alerts` aliased `a`). */
export const alertSelect = sql`a.id::float8 AS "id", a.user_id AS "userId", a.feature AS "feature",
  a.threshold AS "threshold", a.used::float8 AS "used", a."limit"::float8 AS "limit",
  to_char(a.month, 'YYYY-MM') AS "month", ${instantOut(sql`a.created_at`)} AS "createdAt"`;

/** The alerts of one user with where their pace takes each feature this month (`runsOutOn`). */
export async function withForecast(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
  alerts: StoredAlert[],
): Promise<Alert[]> {
  if (alerts.length === 0) return [];
  const forecast = await getForecast(db, params);
  return alerts.map((a) => ({
    ...a,
    runsOutOn:
      a.month === forecast.month ? (forecast.features[a.feature]?.reachesLimitOn ?? null) : null,
  }));
}

/** A user's alerts, oldest first (at or after `since`, when given), each with `runsOutOn`. */
export async function listAlerts(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers; since?: Date },
): Promise<Alert[]> {
  const alerts = await queryRows<StoredAlert>(
    db,
    sql`SELECT ${alertSelect} FROM usagekit.alerts a WHERE a.user_id = ${params.userId}::text
      ${params.since ? sql`AND a.created_at >= ${params.since.toISOString()}::timestamptz` : sql``}
    ORDER BY a.created_at, a.id`,
  );
  return withForecast(db, params, alerts);
}
