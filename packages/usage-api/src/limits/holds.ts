import type { Hold } from "@usagekit/db";
import type { LimitExceeded } from "../errors";
import { fits } from "./rule";
import type { Feature } from "./tiers";

/**
 * Holds (reservations of a live session) count against hard limits until settled, released or
 * expired: what a user may still use is judged on `used + held`. A hold stops counting at its
 * `expiresAt`, with no job running: every reader and writer compares it with its own clock. The
 * SQL form is `heldSql`, beside it.
 */
export const isActive = (hold: Hold, now: Date) => Date.parse(hold.expiresAt) > now.getTime();

/** What the active holds keep of `feature` at `now`. */
export const heldOf = (holds: readonly Hold[], feature: string, now: Date): number =>
  holds.filter((h) => isActive(h, now)).reduce((sum, h) => sum + (h.amounts[feature] ?? 0), 0);

/** The holds still active at `now` (what a write of the holds keeps). */
export const activeHolds = (holds: readonly Hold[], now: Date) =>
  holds.filter((h) => isActive(h, now));

/**
 * The first feature `amounts` do not fit under its hard limit (`hard`, with the allowance's
 * rollover and grants: `hardLimitsOf`) on top of `counted` (what is used and held), by the one
 * rule, as the refusal it is; null when everything fits.
 */
export function firstRefusal(
  hard: Record<Feature, number | null>,
  features: readonly Feature[],
  counted: Record<Feature, number>,
  amounts: Record<Feature, number>,
): LimitExceeded | null {
  const over = features.find((f) => !fits(counted[f], amounts[f], hard[f]));
  return over === undefined
    ? null
    : { feature: over, used: counted[over], limit: hard[over]!, requested: amounts[over] };
}
