import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { instantOut } from "../calendar/local-month";
import type { Feature } from "../limits/tiers";

export interface Alert {
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

/** The columns of an alert, as `Alert` (from `usagekit.alerts` aliased `a`). */
export const alertSelect = sql`a.id::float8 AS "id", a.user_id AS "userId", a.feature AS "feature",
  a.threshold AS "threshold", a.used::float8 AS "used", a."limit"::float8 AS "limit",
  to_char(a.month, 'YYYY-MM') AS "month", ${instantOut(sql`a.created_at`)} AS "createdAt"`;

/** A user's alerts, oldest first (at or after `since`, when given). */
export const listAlerts = (db: Db, params: { userId: string; since?: Date }) =>
  queryRows<Alert>(
    db,
    sql`SELECT ${alertSelect} FROM usagekit.alerts a WHERE a.user_id = ${params.userId}::text
      ${params.since ? sql`AND a.created_at >= ${params.since.toISOString()}::timestamptz` : sql``}
    ORDER BY a.created_at, a.id`,
  );
