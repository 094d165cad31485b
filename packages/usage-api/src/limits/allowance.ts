import { availableOf } from "./grants";
import type { LiveGrant } from "./grants";
import { rolledOverOf } from "./rollover";
import type { PastMonth } from "./rollover";
import { hardLimitOf } from "./tiers";
import type { Feature, TierName, Tiers } from "./tiers";

/** What a user's allowance in a month is made of besides the tier (read by `allowance-sql.ts`). */
export interface AllowanceContext {
  /** The month, `YYYY-MM`. */
  month: string;
  /** The user's grants with something left (`isLive` says which count now). */
  grants: LiveGrant[];
  /** The months before it that rollover looks at. */
  past: PastMonth[];
  /** The user's first month with usage (`YYYY-MM`), or null for a user without any. */
  since: string | null;
  /** Per feature, what this month's usage took from grants. */
  spent: Partial<Record<Feature, number>>;
}

export interface Allowance {
  /** Tier allowance + rollover + grants (spent this month or still available); null: unlimited. */
  limit: number | null;
  rolledOver: number;
  /** What grants gave this month: taken already, and still available now. */
  granted: number;
  /** What usage is covered by before grants are taken from: own + rollover + taken this month. */
  cover: number;
  /** What the grants still give now. */
  available: number;
}

/**
 * The one limit rule's allowance: the tier's limit of `feature` in the month, then what rolled
 * over from earlier months, then grants — `limit` is their sum. Every reader and writer (the
 * planned writes, reservations, `canUseFeature`, `getCurrentUsage`) takes it from here.
 */
export function allowanceOf(
  tiers: Tiers,
  tier: TierName,
  feature: Feature,
  ctx: AllowanceContext,
  now: Date,
): Allowance {
  const config = tiers[tier];
  const own = config[feature].limit;
  if (own === null) return { limit: null, rolledOver: 0, granted: 0, cover: 0, available: 0 };
  const rolledOver = rolledOverOf(tiers, config, feature, ctx.month, ctx.past, ctx.since);
  const spent = ctx.spent[feature] ?? 0;
  const available = availableOf(ctx.grants, feature, now);
  return {
    limit: own + rolledOver + spent + available,
    rolledOver,
    granted: spent + available,
    cover: own + rolledOver + spent,
    available,
  };
}

/** Each feature's hard limit with its allowance (null: unlimited or soft, never refused). */
export const hardLimitsOf = (
  tiers: Tiers,
  tier: TierName,
  ctx: AllowanceContext,
  now: Date,
): Record<Feature, number | null> =>
  Object.fromEntries(
    (Object.keys(tiers[tier]) as Feature[]).map((f) => [
      f,
      hardLimitOf(tiers[tier], f) === null ? null : allowanceOf(tiers, tier, f, ctx, now).limit,
    ]),
  ) as Record<Feature, number | null>;
