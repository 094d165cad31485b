import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { monthlySelect } from "./columns";
import type { MonthlyUsage } from "./columns";

/** The monthly rows of the last `months` local months (the current one included), newest first. */
export async function getUsageHistory(
  db: Db,
  params: { userId: string; months: number; now: Date },
): Promise<MonthlyUsage[]> {
  return queryRows<MonthlyUsage>(
    db,
    sql`
    WITH p AS (
      SELECT date_trunc('month', ${params.now.toISOString()}::timestamptz
        AT TIME ZONE coalesce(max(timezone), 'UTC'))::date AS current_month
      FROM usagekit.users WHERE id = ${params.userId}::text
    )
    SELECT ${monthlySelect("m")} FROM usagekit.monthly_usage m, p
    WHERE m.user_id = ${params.userId}::text
      AND m.month > p.current_month - make_interval(months => ${params.months}::int)
    ORDER BY m.month DESC`,
  );
}
