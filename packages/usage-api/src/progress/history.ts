import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import { instant, localMonth } from "../calendar/local-month";

/**
 * `current_month`: the user's local month at `now` (in their zone; UTC for an unknown user), as a
 * one-row source for "the last N months" windows.
 */
export const currentLocalMonth = (userId: string, now: Date) => sql`
  SELECT ${localMonth(instant(now), sql`coalesce(max(timezone), 'UTC')`)} AS current_month
  FROM usagekit.users WHERE id = ${userId}::text`;

/** The monthly rows of the last `months` local months (the current one included), newest first. */
export async function getUsageHistory(
  db: Db,
  params: { userId: string; months: number; now: Date; tiers: Tiers },
): Promise<MonthlyUsage[]> {
  const { monthlySelect } = columnsOf(params.tiers);
  return queryRows<MonthlyUsage>(
    db,
    sql`
    WITH p AS (${currentLocalMonth(params.userId, params.now)})
    SELECT ${monthlySelect("m")} FROM usagekit.monthly_usage m, p
    WHERE m.user_id = ${params.userId}::text
      AND m.month > p.current_month - make_interval(months => ${params.months}::int)
    ORDER BY m.month DESC`,
  );
}
