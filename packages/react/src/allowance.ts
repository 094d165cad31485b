import type { LimitSpec } from "@usagekit/db/catalog";
import { fits, remainingOf } from "@usagekit/usage-api/limits";
import { defaultCatalog, limitSpec, tierSpec } from "./names";
import type { AnyFeature, AnyTier, Catalog } from "./names";

const DAY = 86_400_000;
const limitOf = (spec: LimitSpec) =>
  spec !== null && typeof spec === "object" ? spec.limit : spec;

/** The plan's name as people say it ("Plus"). */
export const tierLabel = (tier: AnyTier, catalog: Catalog = defaultCatalog) =>
  tierSpec(catalog, tier).label;

/** Whether the tier lets `feature` run past its limit as billable overage (a soft limit). */
export const isSoftLimit = (
  tier: AnyTier,
  feature: AnyFeature,
  catalog: Catalog = defaultCatalog,
) => {
  const spec = limitSpec(catalog, tier, feature);
  return typeof spec === "object" && spec !== null;
};

/**
 * The first plan above `tier` that gives more of `feature` (or all of it), with its price and
 * limit: where an upgrade prompt leads. Null on the highest plan that has it.
 */
export function upgradeFor(tier: AnyTier, feature: AnyFeature, catalog: Catalog = defaultCatalog) {
  const tierNames = Object.keys(catalog.tiers);
  const current = limitOf(limitSpec(catalog, tier, feature));
  for (const next of tierNames.slice(tierNames.indexOf(tier) + 1)) {
    const limit = limitOf(limitSpec(catalog, next, feature));
    if (current !== null && (limit === null || limit > current)) {
      const { label, price } = tierSpec(catalog, next);
      return { tier: next, label, price, limit };
    }
  }
  return null;
}

export interface Gate {
  feature: AnyFeature;
  used: number;
  limit: number | null;
  /** What is left under the limit (null: unlimited). */
  left: number | null;
  /** Past the limit is billable overage, not a refusal. */
  soft: boolean;
  /** The amount asked for fits this month's allowance. */
  fits: boolean;
  /** The amount the action asks for. */
  amount: number;
}

/**
 * What `amounts` need of this month's allowance: one gate per feature asked for, and the first
 * hard limit that would refuse it, by the server's own limit rule (`fits`, a soft limit being no
 * hard limit). It only says what the buttons should show — the server enforces the limit
 * whatever the page thinks.
 */
export function allowance(
  usage: { tier: string; features: Record<string, { used: number; limit: number | null }> },
  amounts: Partial<Record<AnyFeature, number>>,
  catalog: Catalog = defaultCatalog,
) {
  const gates = (Object.entries(amounts) as [AnyFeature, number][])
    .filter(([, amount]) => amount > 0)
    .map(([feature, amount]): Gate => {
      const soft = isSoftLimit(usage.tier, feature, catalog);
      const { used, limit } = usage.features[feature]!;
      return {
        feature,
        used,
        limit,
        left: remainingOf(limit, used),
        soft,
        fits: fits(used, amount, soft ? null : limit),
        amount,
      };
    });
  return { gates, blockedBy: gates.find((g) => !g.fits) ?? null };
}

/**
 * How many more times an action fits this month and the gate that binds: the fewest times any
 * hard limit it spends allows ("17 of 20 conversations left" and 3 of 5 realtime sessions: 3
 * times, bound by realtime sessions). Null when no hard limit binds it.
 */
export function timesLeft(gates: Gate[]): { times: number; by: Gate } | null {
  let least: { times: number; by: Gate } | null = null;
  for (const gate of gates) {
    if (gate.soft || gate.left === null) continue;
    const times = Math.floor(gate.left / gate.amount);
    if (!least || times < least.times) least = { times, by: gate };
  }
  return least;
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
