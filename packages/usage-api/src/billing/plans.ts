import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SetUserPlanInput } from "../schemas";
import { canonicalTimezone } from "../calendar/timezones";
import { withRetries } from "../record/retry";
import { inSavepoint } from "../store/savepoint";
import type { TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { instant, instantOut, localMonth, monthEnd, monthStart } from "../calendar/local-month";
import { forecastsStale } from "../rollups/stale";

export interface UserPlan {
  id: string;
  tier: TierName;
  timezone: string;
  highestTierReached: TierName;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Sets the user's tier (and time zone, when given — checked against the database's zone data and
 * stored by its canonical name; otherwise it is kept), creating the user if new, and raises the
 * highest tier reached. A new zone applies to new events; the month rows that can still receive
 * events (this month and last, in the new zone) take the new zone's bounds, so their `period`
 * agrees with `resetsAt`.
 */
export async function setUserPlan(
  db: Db,
  params: SetUserPlanInput & { now: Date; tiers: Tiers },
): Promise<UserPlan> {
  const { raiseHighestTier } = columnsOf(params.tiers);
  const timezone = params.timezone ? await canonicalTimezone(db, params.timezone) : null;
  // Its user, month and lifetime rows are locked in another order than an event's statement
  // locks them: a deadlock with a concurrent event rolls it back, and it runs again.
  const [row] = await withRetries(() =>
    inSavepoint(db, (d) =>
      queryRows<UserPlan>(
        d,
        sql`
    WITH u AS (
      INSERT INTO usagekit.users AS u (id, tier, timezone)
      VALUES (${params.userId}::text, ${params.tier}, coalesce(${timezone}::text, 'UTC'))
      ON CONFLICT (id) DO UPDATE SET tier = excluded.tier,
        timezone = coalesce(${timezone}::text, u.timezone), updated_at = now()
      RETURNING id, tier, timezone, created_at, updated_at
    ), stale AS (
      ${forecastsStale(sql`SELECT id FROM u`)}
    ), periods AS (
      UPDATE usagekit.monthly_usage m SET period_start = ${monthStart(sql`m.month`, sql`u.timezone`)},
        period_end = ${monthEnd(sql`m.month`, sql`u.timezone`)}
      FROM u WHERE m.user_id = u.id AND ${timezone}::text IS NOT NULL
        AND m.month >= ${localMonth(instant(params.now), sql`u.timezone`)} - interval '1 month'
      RETURNING 1
    ), l AS (
      -- After the month rows (periods first): an event's statement locks month, then lifetime.
      INSERT INTO usagekit.lifetime_stats AS l (user_id, highest_tier_reached)
      SELECT id, tier FROM u WHERE (SELECT count(*) FROM periods) >= 0
      ON CONFLICT (user_id) DO UPDATE SET ${raiseHighestTier}
      RETURNING highest_tier_reached
    )
    SELECT u.id AS "id", u.tier AS "tier", u.timezone AS "timezone",
      l.highest_tier_reached AS "highestTierReached", ${instantOut(sql`u.created_at`)} AS "createdAt",
      ${instantOut(sql`u.updated_at`)} AS "updatedAt"
    FROM u, l`,
      ),
    ),
  );
  return row!;
}
