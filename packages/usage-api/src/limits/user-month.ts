import { queryRows } from "@usagekit/db";
import type { Db, Hold } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { columnsOf } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import type { TierName, Tiers } from "./tiers";
import { instant, instantOut, localMonth, monthEnd, monthStart } from "../calendar/local-month";
import type { AllowanceContext } from "./allowance";
import { allowanceColumns } from "./allowance-sql";

export interface UserMonth {
  tier: TierName;
  timezone: string;
  /** The user's holds (reservations), active or not: `heldOf` says what they keep now. */
  holds: Hold[];
  /** The user's current local month, `YYYY-MM`, and its bounds. */
  month: string;
  periodStart: Date;
  periodEnd: Date;
  /** This month's row, or null when the user has no usage in it. */
  usage: MonthlyUsage | null;
  /** What the month's allowance holds besides the tier: rollover and grants. */
  allowance: AllowanceContext;
}

/**
 * The user's plan and current local month (an unknown user reads as a user of the lowest tier in UTC with no
 * usage). Reads only.
 */
export async function readUserMonth(
  db: Db,
  userId: string,
  now: Date,
  tiers: Tiers,
): Promise<UserMonth> {
  const { monthlySelect, defaultTierSql } = columnsOf(tiers);
  type Row = MonthlyUsage &
    Omit<AllowanceContext, "month"> & {
      tier: TierName;
      timezone: string;
      holds: Hold[];
      hasRow: boolean;
    };
  const [row] = await queryRows<Row & { curMonth: string; curStart: Date; curEnd: Date }>(
    db,
    sql`
    WITH u AS (
      SELECT coalesce(max(tier), ${defaultTierSql}) AS tier, coalesce(max(timezone), 'UTC') AS tz,
        coalesce((array_agg(holds))[1], '[]'::jsonb) AS holds
      FROM usagekit.users WHERE id = ${userId}::text
    ), p AS (
      SELECT tier, tz, holds, ${localMonth(instant(now), sql`tz`)} AS local_month FROM u
    )
    SELECT p.tier AS "tier", p.tz AS "timezone", p.holds AS "holds", to_char(p.local_month, 'YYYY-MM') AS "curMonth",
      ${instantOut(monthStart(sql`p.local_month`, sql`p.tz`))} AS "curStart",
      ${instantOut(monthEnd(sql`p.local_month`, sql`p.tz`))} AS "curEnd",
      m.user_id IS NOT NULL AS "hasRow", ${monthlySelect("m")}, coalesce(m.granted, '{}'::jsonb) AS "spent",
      ${allowanceColumns(tiers, sql`${userId}::text`, sql`p.local_month`)}
    FROM p LEFT JOIN usagekit.monthly_usage m ON m.user_id = ${userId}::text AND m.month = p.local_month`,
  );
  if (!row) throw new Error("readUserMonth returned no row");
  const { hasRow, tier, timezone, holds, curMonth, curStart, curEnd, ...rest } = row;
  const { grants, past, since, spent, ...usage } = rest;
  return {
    tier,
    timezone,
    holds,
    month: curMonth,
    periodStart: curStart,
    periodEnd: curEnd,
    usage: hasRow ? usage : null,
    allowance: { month: curMonth, grants, past, since, spent },
  };
}
