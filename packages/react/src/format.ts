import { isSoftLimit, tierLabel, upgradeFor } from "./allowance";
import { defaultCatalog, featureSpec } from "./names";
import type { AnyFeature, AnyTier, Catalog } from "./names";

/** The feature's name as people say it, from the catalog ("Practice time"). */
export const featureLabel = (feature: AnyFeature, catalog: Catalog = defaultCatalog) =>
  featureSpec(catalog, feature).label;

/** The feature's name in a sentence ("practice time", "Anki exports"). */
export const featureNoun = (feature: AnyFeature, catalog: Catalog = defaultCatalog): string => {
  const spec = featureSpec(catalog, feature);
  return spec.noun ?? spec.label.toLowerCase();
};

/** An amount in the feature's unit: minutes and hours for time, a number otherwise. */
export function formatAmount(
  feature: AnyFeature,
  amount: number,
  catalog: Catalog = defaultCatalog,
): string {
  if (featureSpec(catalog, feature).unit !== "seconds") return amount.toLocaleString("en-US");
  const minutes = Math.floor(amount / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

export type MeterState = "unlimited" | "not-in-plan" | "ok" | "full" | "overage";

/**
 * Where `used` stands against `limit`, and what to say about it in words; with the `tier`, a
 * feature not in it says where it is ("Not in Free — on Plus").
 */
export function meter(
  feature: AnyFeature,
  used: number,
  limit: number | null,
  tier?: AnyTier,
  catalog: Catalog = defaultCatalog,
) {
  const label = featureNoun(feature, catalog);
  const amount = (n: number) => formatAmount(feature, n, catalog);
  if (limit === null) {
    return {
      state: "unlimited" as MeterState,
      text: `${amount(used)} used · unlimited`,
    };
  }
  if (limit === 0) {
    const up = tier && upgradeFor(tier, feature, catalog);
    return {
      state: "not-in-plan" as MeterState,
      text: tier
        ? `Not in ${tierLabel(tier, catalog)}${up ? ` — on ${up.label}` : ""}`
        : "Not in your plan",
    };
  }
  if (used > limit && tier && !isSoftLimit(tier, feature, catalog)) {
    // Past a hard limit (a plan changed down mid-month): nothing is billed, nothing more allowed.
    return {
      state: "full" as MeterState,
      text: `Limit reached: ${amount(used)} ${label} used, ${tierLabel(tier, catalog)} includes ${amount(limit)}`,
    };
  }
  if (used > limit) {
    return {
      state: "overage" as MeterState,
      text: `${amount(used - limit)} over the ${amount(limit)} included`,
    };
  }
  const left = limit - used;
  return {
    state: (left === 0 ? "full" : "ok") as MeterState,
    text:
      left === 0
        ? `Limit reached: all ${amount(limit)} ${label} used`
        : `${amount(left)} of ${amount(limit)} ${label} left`,
  };
}

/** A local date (`YYYY-MM-DD`, as the API answers it) as people read it ("16 Nov"), as it is. */
export const localDateLabel = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
