import { catalog, tierNames } from "@usagekit/db/catalog";
import type { Feature, LimitSpec, TierName } from "@usagekit/db/catalog";
import { fits, remainingOf } from "@usagekit/usage-api/limits";

const DAY = 86_400_000;
const limitSpec = (tier: TierName, feature: Feature): LimitSpec =>
  catalog.tiers[tier].limits[feature];
const limitOf = (spec: LimitSpec) =>
  spec !== null && typeof spec === "object" ? spec.limit : spec;

/** The plan's name as people say it ("Plus"). */
export const tierLabel = (tier: TierName) => catalog.tiers[tier].label;

/** Whether the tier lets `feature` run past its limit as billable overage (a soft limit). */
export const isSoftLimit = (tier: TierName, feature: Feature) =>
  typeof limitSpec(tier, feature) === "object" && limitSpec(tier, feature) !== null;

/**
 * The first plan above `tier` that gives more of `feature` (or all of it), with its price and
 * limit: where an upgrade prompt leads. Null on the highest plan that has it.
 */
export function upgradeFor(tier: TierName, feature: Feature) {
  const current = limitOf(limitSpec(tier, feature));
  for (const next of tierNames.slice(tierNames.indexOf(tier) + 1)) {
    const limit = limitOf(limitSpec(next, feature));
    if (current !== null && (limit === null || limit > current))
      return { tier: next, label: tierLabel(next), price: catalog.tiers[next].price, limit };
  }
  return null;
}

export interface Gate {
  feature: Feature;
  used: number;
  limit: number | null;
  /** What is left under the limit (null: unlimited). */
  left: number | null;
  /** Past the limit is billable overage, not a refusal. */
  soft: boolean;
  /** The amount asked for fits this month's allowance. */
  fits: boolean;
}

/**
 * What `amounts` need of this month's allowance: one gate per feature asked for, and the first
 * hard limit that would refuse it, by the server's own limit rule (`fits`, a soft limit being no
 * hard limit). It only says what the buttons should show — the server enforces the limit
 * whatever the page thinks.
 */
export function allowance(
  usage: { tier: TierName; features: Record<Feature, { used: number; limit: number | null }> },
  amounts: Partial<Record<Feature, number>>,
) {
  const gates = (Object.entries(amounts) as [Feature, number][])
    .filter(([, amount]) => amount > 0)
    .map(([feature, amount]): Gate => {
      const { used, limit } = usage.features[feature];
      const soft = isSoftLimit(usage.tier, feature);
      return {
        feature,
        used,
        limit,
        left: remainingOf(limit, used),
        soft,
        fits: fits(used, amount, soft ? null : limit),
      };
    });
  return { gates, blockedBy: gates.find((g) => !g.fits) ?? null };
}

/** "resets 1 Dec, in 3 days": when the period ends, in the user's zone, from `now`. */
export function resetsIn(end: Date, now: Date, timeZone: string) {
  const date = end.toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone });
  const ms = end.getTime() - now.getTime();
  const hours = Math.ceil(ms / 3_600_000);
  const when =
    ms < DAY
      ? hours <= 1
        ? "within the hour"
        : `in ${hours} hours`
      : `in ${Math.ceil(ms / DAY)} days`;
  return `resets ${date}, ${when}`;
}
