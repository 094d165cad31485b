import {
  billableFeatures,
  catalog,
  features,
  monthlyField,
  overageField,
  tierNames,
} from "@usagekit/db/catalog";
import type {
  BillableFeature,
  CatalogShape,
  Feature,
  LimitSpec,
  RolloverSpec,
  TierName,
} from "@usagekit/db/catalog";
import { defaultModel, modelOf, perModel } from "../catalog/model";
import type { Model } from "../catalog/model";

// The default catalog's names (`@usagekit/db/catalog`), kept for hosts that import them.
export { billableFeatures, catalog, features, monthlyField, overageField, tierNames };
export type { BillableFeature, Feature, TierName };

export interface FeatureLimit {
  /** Monthly limit; `null` = unlimited, `0` = not in this tier. */
  limit: number | null;
  /**
   * Present for a soft limit: usage past `limit` is allowed and billed as overage at `price`
   * (a decimal string, never a float) per `perUnits` units. Absent: the limit is hard.
   */
  overage?: { price: string; perUnits: number };
  /**
   * The unused part of the tier allowance of the previous `months` months (at most `max` in all)
   * is added to this month's, used after it and before grants (`limits/rollover.ts`).
   */
  rollover?: { months: number; max?: number };
}

export type TierConfig = Record<Feature, FeatureLimit>;
export type Tiers = Record<TierName, TierConfig>;

/** A catalog limit (`null`, a number, or `{ limit, overage }`) and rollover as a tier table entry. */
const fromCatalog = (spec: LimitSpec, rollover?: RolloverSpec): FeatureLimit => ({
  ...(spec === null || typeof spec === "number"
    ? { limit: spec }
    : { limit: spec.limit, overage: { ...spec.overage } }),
  ...(rollover && { rollover: { ...rollover } }),
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

/** Each validated table's catalog (a table is only ever used with the catalog it was checked for). */
const validated = new WeakMap<Tiers, Model>();
/** Validated tier tables by content: equal tables are one object (one lane, one prepared text). */
const byContent = new Map<string, Tiers>();
const keys = new WeakMap<Tiers, string>();

/** A tier table's content, with its catalog's, as a key (equal ones share statements). */
export const tiersKey = (tiers: Tiers): string => {
  let key = keys.get(tiers);
  if (key === undefined) keys.set(tiers, (key = JSON.stringify([modelOfTiers(tiers).key, tiers])));
  return key;
};

/** The catalog a validated tier table belongs to (every entry point validates with defineTiers). */
export function modelOfTiers(tiers: Tiers): Model {
  const model = validated.get(tiers);
  if (!model) throw new Error("tiers: a tier table must come from defineTiers");
  return model;
}

const isCount = (n: unknown, min: number, max: number) =>
  Number.isSafeInteger(n) && (n as number) >= min && (n as number) <= max;

function checkRollover(where: string, limit: number | null, rollover: unknown) {
  if (rollover === undefined) return {};
  const { months, max } = rollover as { months: number; max?: number };
  assertKeys(where, rollover, max === undefined ? ["months"] : ["months", "max"]);
  if (!isCount(months, 1, 12)) throw new Error(`${where}.months must be a whole number 1 to 12`);
  if (max !== undefined && !isCount(max, 1, Number.MAX_SAFE_INTEGER))
    throw new Error(`${where}.max must be a positive integer`);
  if (limit === null || limit === 0)
    throw new Error(`${where}: only a limit above 0 has an allowance to roll over`);
  return { rollover: max === undefined ? { months } : { months, max } };
}

function checkLimit(model: Model, where: string, feature: Feature, value: unknown): FeatureLimit {
  const { limit, overage, rollover } = value as FeatureLimit;
  const keys = ["limit", "overage", "rollover"] as const;
  assertKeys(
    where,
    value,
    keys.filter((k) => k === "limit" || (value as FeatureLimit)[k] !== undefined),
  );
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new Error(`${where}.limit must be a non-negative integer or null`);
  }
  const rolls = checkRollover(`${where}.rollover`, limit, rollover);
  if (overage === undefined) return { limit, ...rolls };
  assertKeys(`${where}.overage`, overage, ["price", "perUnits"]);
  if (!(model.billableFeatures as readonly string[]).includes(feature)) {
    throw new Error(
      `${where}: only billable features (${model.billableFeatures.join(", ")}) can have a soft limit; mark it billable in the catalog`,
    );
  }
  if (limit === null) throw new Error(`${where}: a soft limit needs a limit`);
  if (
    !(typeof overage.price === "string" && /^\d{1,6}(\.\d{1,4})?$/.test(overage.price)) ||
    !(Number.isSafeInteger(overage.perUnits) && overage.perUnits > 0 && overage.perUnits <= 86_400)
  ) {
    throw new Error(`${where}.overage needs a decimal price and perUnits > 0`);
  }
  return { limit, overage: { price: overage.price, perUnits: overage.perUnits }, ...rolls };
}

/**
 * How a fault names a limit: its path (the catalog's `tiers.free.conversations` by default) and,
 * for a caller that set only some limits (a pricing-lab draft), which it set — a pair out of the
 * tiers' order is then named by the limit that was set.
 */
export interface LimitNaming {
  path: (tier: TierName, feature: Feature) => string;
  set?: (tier: TierName, feature: Feature) => boolean;
}
const catalogNaming: LimitNaming = { path: (tier, feature) => `tiers.${tier}.${feature}` };

/**
 * Validates a tier table for a catalog (default: usagekit's own) — its shape, every limit a
 * non-negative integer or null, soft limits with a decimal price, limits that never shrink along
 * the tier order — and returns a frozen copy. Every entry point that takes tiers runs them through
 * here, so nothing unchecked reaches SQL.
 */
export function defineTiers(
  tiers: Tiers,
  catalogShape?: CatalogShape,
  naming: LimitNaming = catalogNaming,
): Tiers {
  const model = catalogShape ? modelOf(catalogShape) : defaultModel;
  const known = validated.get(tiers);
  if (known === model || (known && known.key === model.key)) return tiers;
  const { features, tierNames } = model;
  const table = assertKeys("tiers", tiers, tierNames);
  const result = {} as Record<TierName, TierConfig>;
  for (const tier of tierNames) {
    const config = assertKeys(`tiers.${tier}`, table[tier], features);
    result[tier] = Object.freeze(
      Object.fromEntries(
        features.map((f) => [
          f,
          Object.freeze(checkLimit(model, naming.path(tier, f), f, config[f])),
        ]),
      ),
    ) as TierConfig;
  }
  for (const [lower, higher] of tierNames.slice(1).map((t, i) => [tierNames[i]!, t] as const)) {
    for (const feature of features) {
      if (rank(result[higher][feature].limit) < rank(result[lower][feature].limit)) {
        const [h, l] = [naming.path(higher, feature), naming.path(lower, feature)];
        throw new Error(
          naming.set?.(lower, feature) && !naming.set(higher, feature)
            ? `${l}.limit must be <= ${h}.limit`
            : `${h}.limit must be >= ${l}.limit`,
        );
      }
    }
  }
  const frozen = Object.freeze(result);
  validated.set(frozen, model);
  const key = tiersKey(frozen);
  const same = byContent.get(key);
  if (same) return same;
  if (byContent.size < 1000) byContent.set(key, frozen);
  return frozen;
}

/** A catalog's own tier table (its tiers' limits), validated. */
const catalogTiers = perModel((model) => {
  const tierOf = (t: TierName) =>
    model.catalog.tiers[t] as unknown as {
      limits: Record<Feature, LimitSpec>;
      rollover?: Partial<Record<Feature, RolloverSpec>>;
    };
  return defineTiers(
    Object.fromEntries(
      model.tierNames.map((t) => [
        t,
        Object.fromEntries(
          model.features.map((f) => [f, fromCatalog(tierOf(t).limits[f], tierOf(t).rollover?.[f])]),
        ),
      ]),
    ) as Tiers,
    model.catalog,
  );
});
export const tiersOf = (catalogShape: CatalogShape): Tiers => catalogTiers(modelOf(catalogShape));

/** The default catalog's tier table, validated. */
export const defaultTiers: Tiers = tiersOf(catalog);

/** The tier's hard monthly limit of `feature`: null when it is unlimited or soft (not refused). */
export const hardLimitOf = (config: TierConfig, feature: Feature): number | null =>
  config[feature].overage ? null : config[feature].limit;

/** The limit past which `feature` is billable overage in this tier: null unless soft. */
export const softLimitOf = (config: TierConfig, feature: Feature): number | null =>
  config[feature].overage ? config[feature].limit : null;

/** Units past the soft limit `soft` that `added` units on top of `before` bring. */
export const overageOf = (soft: number | null, before: number, added: number): number =>
  soft === null ? 0 : Math.max(0, before + added - soft) - Math.max(0, before - soft);
