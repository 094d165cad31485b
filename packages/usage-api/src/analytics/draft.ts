import { badRequest } from "../errors";
import { defineTiers } from "../limits/tiers";
import type { Feature, FeatureLimit, LimitNaming, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";

/** A draft limit as the catalog writes one: null, a count, or a soft limit with its price. */
type DraftLimit = number | null | { limit: number; overage: { price: string; perUnits: number } };

/** The pricing lab's draft: per tier, a price and limits to try; the rest as the catalog says. */
export interface Draft {
  tiers?: Record<string, { price?: string; limits?: Record<string, DraftLimit> }>;
}

/** A draft catalog: its tiers' limits (validated like the catalog's) and monthly prices. */
export interface DraftCatalog {
  tiers: Tiers;
  prices: Record<TierName, string>;
}

const PRICE = /^\d{1,6}(\.\d{1,2})?$/;
/** A plain object (not an array, a Date or a Map that superjson may have made of the input). */
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null);

/** The catalog's form of a draft limit, or BAD_REQUEST naming its path. */
function limitOf(where: string, value: unknown): FeatureLimit {
  if (value === null) return { limit: null };
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0)
      throw badRequest(`${where}: must be a whole number >= 0, or null for unlimited`);
    // As in the catalog: a number is a hard limit (a soft one says its overage price).
    return { limit: value };
  }
  if (!isObject(value) || !isObject(value.overage))
    throw badRequest(
      `${where}: must be null, a whole number or { limit, overage: { price, perUnits } }`,
    );
  // A draft's prices have at most 2 decimals (the contract's), the overage's included; the soft
  // limit's other rules (its limit and unit) are defineTiers's, checked below.
  if (typeof value.overage.price === "string" && !PRICE.test(value.overage.price))
    throw badRequest(`${where}.overage.price: a decimal string with at most 2 decimals ("0.03")`);
  return value as unknown as FeatureLimit;
}

/**
 * The catalog with the draft's changes: every tier and feature the draft names must be the
 * catalog's (features cannot be added), limits are whole numbers >= 0 or null, prices decimal
 * strings with at most 2 decimals; the result is checked by `defineTiers` like any catalog
 * (soft limits only on billable features, limits that never shrink up the tiers). Any fault is
 * BAD_REQUEST naming its path (`draft.tiers.free.limits.conversations: ...`).
 */
export function draftCatalog(tiers: Tiers, draft: unknown): DraftCatalog {
  const { catalog, features, tierNames } = columnsOf(tiers);
  if (!isObject(draft)) throw badRequest("draft: must be an object");
  for (const key of Object.keys(draft))
    if (key !== "tiers") throw badRequest(`draft.${key}: not part of a draft (only tiers)`);
  const given = draft.tiers ?? {};
  if (!isObject(given)) throw badRequest("draft.tiers: must be an object");
  const limits = Object.fromEntries(tierNames.map((t) => [t, { ...tiers[t] }])) as Record<
    TierName,
    Record<Feature, FeatureLimit>
  >;
  const prices = Object.fromEntries(tierNames.map((t) => [t, catalog.tiers[t]!.price])) as Record<
    TierName,
    string
  >;
  /** The `tier.feature` limits the draft sets. */
  const drafted = new Set<string>();
  for (const [tier, spec] of Object.entries(given)) {
    const where = `draft.tiers.${tier}`;
    if (!(tierNames as readonly string[]).includes(tier))
      throw badRequest(`${where}: not a tier of the catalog`);
    if (!isObject(spec)) throw badRequest(`${where}: must be an object`);
    for (const key of Object.keys(spec))
      if (key !== "price" && key !== "limits")
        throw badRequest(`${where}.${key}: a draft tier has only price and limits`);
    const t = tier as TierName;
    if (spec.price !== undefined) {
      if (typeof spec.price !== "string" || !PRICE.test(spec.price))
        throw badRequest(`${where}.price: a decimal string with at most 2 decimals ("9.99")`);
      prices[t] = spec.price;
    }
    if (spec.limits === undefined) continue;
    if (!isObject(spec.limits)) throw badRequest(`${where}.limits: must be an object`);
    for (const [feature, value] of Object.entries(spec.limits)) {
      if (!(features as readonly string[]).includes(feature))
        throw badRequest(`${where}.limits.${feature}: not a feature of the catalog`);
      const f = feature as Feature;
      limits[t][f] = limitOf(`${where}.limits.${feature}`, value);
      drafted.add(`${t}.${f}`);
    }
  }
  // The catalog's rules name a fault by the draft's path, and a pair out of order by what it set.
  const naming: LimitNaming = {
    path: (t, f) => `tiers.${t}.limits.${f}`,
    set: (t, f) => drafted.has(`${t}.${f}`),
  };
  try {
    return { tiers: defineTiers(limits as Tiers, catalog, naming), prices };
  } catch (error) {
    throw badRequest(`draft.${(error as Error).message}`);
  }
}
