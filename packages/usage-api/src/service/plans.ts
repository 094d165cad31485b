import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SetUserPlanInput } from "../schemas";
import { tierNames } from "../tiers";
import type { TierName } from "../tiers";

export interface UserPlan {
  id: string;
  tier: TierName;
  timezone: string;
  highestTierReached: TierName;
  createdAt: Date;
  updatedAt: Date;
}

/** `tier` ordered free < plus < pro, for GREATEST-style comparisons in SQL. */
export const tierRankSql = (tier: string) =>
  sql.raw(`array_position(ARRAY['${tierNames.join("','")}'], ${tier})`);

/** Raises `highest_tier_reached` of lifetime row `l` to the `excluded` one if that ranks higher. */
export const raiseHighestTier = sql`highest_tier_reached = CASE
  WHEN ${tierRankSql("excluded.highest_tier_reached")} > ${tierRankSql("l.highest_tier_reached")}
  THEN excluded.highest_tier_reached ELSE l.highest_tier_reached END, updated_at = now()`;

/**
 * Sets the user's tier (and time zone, when given; otherwise it is kept), creating the user if
 * new, and raises the highest tier reached.
 */
export async function setUserPlan(db: Db, params: SetUserPlanInput): Promise<UserPlan> {
  const [row] = await queryRows<UserPlan>(
    db,
    sql`
    WITH u AS (
      INSERT INTO users AS u (id, tier, timezone)
      VALUES (${params.userId}::uuid, ${params.tier}, coalesce(${params.timezone ?? null}::text, 'UTC'))
      ON CONFLICT (id) DO UPDATE SET tier = excluded.tier,
        timezone = coalesce(${params.timezone ?? null}::text, u.timezone), updated_at = now()
      RETURNING id, tier, timezone, created_at, updated_at
    ), l AS (
      INSERT INTO lifetime_stats AS l (user_id, highest_tier_reached) SELECT id, tier FROM u
      ON CONFLICT (user_id) DO UPDATE SET ${raiseHighestTier}
      RETURNING highest_tier_reached
    )
    SELECT u.id AS "id", u.tier AS "tier", u.timezone AS "timezone",
      l.highest_tier_reached AS "highestTierReached", u.created_at AS "createdAt",
      u.updated_at AS "updatedAt"
    FROM u, l`,
  );
  return row!;
}
