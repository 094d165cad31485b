import { tierNames } from "@usagekit/db/tiers";
import type { TierName } from "@usagekit/db/tiers";

export { tierNames };
export type { TierName };

/** The metered quantities, as named in `recordUsage` and `canUseFeature`. */
export const features = [
  "conversations",
  "seconds",
  "realtimeSessions",
  "ankiExports",
  "customPhrases",
  "advancedVoiceSeconds",
  "sessionExtensions",
  "completedSessions",
] as const;
export type Feature = (typeof features)[number];

/** The monthly-row field that counts each feature. */
export const monthlyField = {
  conversations: "conversations",
  seconds: "seconds",
  realtimeSessions: "realtimeSessions",
  ankiExports: "ankiExportsUsed",
  customPhrases: "customPhrasesCreated",
  advancedVoiceSeconds: "advancedVoiceSeconds",
  sessionExtensions: "sessionExtensionsUsed",
  completedSessions: "completedSessions",
} as const satisfies Record<Feature, string>;

export interface FeatureLimit {
  /** Monthly limit; `null` = unlimited, `0` = not in this tier. */
  limit: number | null;
  /**
   * Present for a soft limit: usage past `limit` is allowed and billed as overage at `price`
   * (a decimal string, never a float) per `perUnits` units. Absent: the limit is hard.
   */
  overage?: { price: string; perUnits: number };
}

export type TierConfig = Record<Feature, FeatureLimit>;
export type Tiers = Record<TierName, TierConfig>;

const hard = (limit: number | null): FeatureLimit => ({ limit });
const soft = (limit: number, price: string, perUnits: number): FeatureLimit => ({
  limit,
  overage: { price, perUnits },
});

const rank = (limit: number | null) => (limit === null ? Number.POSITIVE_INFINITY : limit);

/**
 * Validates a tier table: every limit a non-negative integer or null, soft limits with a
 * decimal price, and limits that never shrink from free to plus to pro.
 */
export function defineTiers(tiers: Tiers): Tiers {
  for (const tier of tierNames) {
    for (const feature of features) {
      const { limit, overage } = tiers[tier][feature];
      if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
        throw new Error(`tiers.${tier}.${feature}.limit must be a non-negative integer or null`);
      }
      if (overage && feature !== "seconds") {
        throw new Error(
          `tiers.${tier}.${feature}: only seconds can have a soft limit (overageSeconds)`,
        );
      }
      if (overage && !(/^\d+(\.\d{1,4})?$/.test(overage.price) && overage.perUnits > 0)) {
        throw new Error(`tiers.${tier}.${feature}.overage needs a decimal price and perUnits > 0`);
      }
    }
  }
  for (const [lower, higher] of [
    ["free", "plus"],
    ["plus", "pro"],
  ] as const) {
    for (const feature of features) {
      if (rank(tiers[higher][feature].limit) < rank(tiers[lower][feature].limit)) {
        throw new Error(
          `tiers.${higher}.${feature}.limit must be >= tiers.${lower}.${feature}.limit`,
        );
      }
    }
  }
  return tiers;
}

export const defaultTiers: Tiers = defineTiers({
  free: {
    conversations: hard(20),
    seconds: hard(30 * 60),
    realtimeSessions: hard(5),
    ankiExports: hard(3),
    customPhrases: hard(10),
    advancedVoiceSeconds: hard(0),
    sessionExtensions: hard(2),
    completedSessions: hard(null),
  },
  plus: {
    conversations: hard(300),
    seconds: soft(10 * 3600, "0.03", 60),
    realtimeSessions: hard(100),
    ankiExports: hard(50),
    customPhrases: hard(500),
    advancedVoiceSeconds: hard(3600),
    sessionExtensions: hard(30),
    completedSessions: hard(null),
  },
  pro: {
    conversations: hard(null),
    seconds: soft(50 * 3600, "0.02", 60),
    realtimeSessions: hard(null),
    ankiExports: hard(null),
    customPhrases: hard(null),
    advancedVoiceSeconds: hard(10 * 3600),
    sessionExtensions: hard(null),
    completedSessions: hard(null),
  },
});
