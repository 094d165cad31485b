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

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Exactly these own keys, nothing more or less (a `__proto__` key included). */
function assertKeys(
  where: string,
  value: unknown,
  keys: readonly string[],
): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${where} must be an object`);
  const own = Object.keys(value);
  const extra = own.find((k) => !keys.includes(k));
  if (extra !== undefined) throw new Error(`${where}.${extra} is not known`);
  const missing = keys.find((k) => !own.includes(k));
  if (missing !== undefined) throw new Error(`${where}.${missing} is missing`);
  return value;
}

const validated = new WeakSet<object>();

function checkLimit(where: string, feature: Feature, value: unknown): FeatureLimit {
  const { limit, overage } = value as FeatureLimit;
  assertKeys(where, value, overage === undefined ? ["limit"] : ["limit", "overage"]);
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new Error(`${where}.limit must be a non-negative integer or null`);
  }
  if (overage === undefined) return { limit };
  assertKeys(`${where}.overage`, overage, ["price", "perUnits"]);
  if (feature !== "seconds") {
    throw new Error(`${where}: only seconds can have a soft limit (overageSeconds)`);
  }
  if (limit === null) throw new Error(`${where}: a soft limit needs a limit`);
  if (
    !(typeof overage.price === "string" && /^\d{1,6}(\.\d{1,4})?$/.test(overage.price)) ||
    !(Number.isSafeInteger(overage.perUnits) && overage.perUnits > 0 && overage.perUnits <= 86_400)
  ) {
    throw new Error(`${where}.overage needs a decimal price and perUnits > 0`);
  }
  return { limit, overage: { price: overage.price, perUnits: overage.perUnits } };
}

/**
 * Validates a tier table (its shape, every limit a non-negative integer or null, soft limits with
 * a decimal price, limits that never shrink from free to plus to pro) and returns a frozen copy.
 * Every entry point that takes tiers runs them through here, so nothing unchecked reaches SQL.
 */
export function defineTiers(tiers: Tiers): Tiers {
  if (validated.has(tiers)) return tiers;
  const table = assertKeys("tiers", tiers, tierNames);
  const result = {} as Record<TierName, TierConfig>;
  for (const tier of tierNames) {
    const config = assertKeys(`tiers.${tier}`, table[tier], features);
    result[tier] = Object.freeze(
      Object.fromEntries(
        features.map((f) => [f, Object.freeze(checkLimit(`tiers.${tier}.${f}`, f, config[f]))]),
      ),
    ) as TierConfig;
  }
  for (const [lower, higher] of tierNames.slice(1).map((t, i) => [tierNames[i]!, t] as const)) {
    for (const feature of features) {
      if (rank(result[higher][feature].limit) < rank(result[lower][feature].limit)) {
        throw new Error(
          `tiers.${higher}.${feature}.limit must be >= tiers.${lower}.${feature}.limit`,
        );
      }
    }
  }
  const frozen = Object.freeze(result);
  validated.add(frozen);
  return frozen;
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
