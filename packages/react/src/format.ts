import { catalog } from "@usagekit/db/catalog";
import type { Feature, TierName } from "@usagekit/db/catalog";
import { tierLabel, upgradeFor } from "./allowance";

/** The feature's name as people say it, from the catalog ("Practice time"). */
export const featureLabel = (feature: Feature) => catalog.features[feature].label;

/** The feature's name in a sentence ("practice time", "Anki exports"). */
export const featureNoun = (feature: Feature): string => {
  const spec: { label: string; noun?: string } = catalog.features[feature];
  return spec.noun ?? spec.label.toLowerCase();
};

const isTime = (feature: Feature) => catalog.features[feature].unit === "seconds";

/** An amount in the feature's unit: minutes and hours for time, a number otherwise. */
export function formatAmount(feature: Feature, amount: number): string {
  if (!isTime(feature)) return amount.toLocaleString("en-US");
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
export function meter(feature: Feature, used: number, limit: number | null, tier?: TierName) {
  const label = featureNoun(feature);
  if (limit === null) {
    return {
      state: "unlimited" as MeterState,
      text: `${formatAmount(feature, used)} used · unlimited`,
    };
  }
  if (limit === 0) {
    const up = tier && upgradeFor(tier, feature);
    return {
      state: "not-in-plan" as MeterState,
      text: tier ? `Not in ${tierLabel(tier)}${up ? ` — on ${up.label}` : ""}` : "Not in your plan",
    };
  }
  if (used > limit) {
    return {
      state: "overage" as MeterState,
      text: `${formatAmount(feature, used - limit)} over the ${formatAmount(feature, limit)} included`,
    };
  }
  const left = limit - used;
  return {
    state: (left === 0 ? "full" : "ok") as MeterState,
    text:
      left === 0
        ? `Limit reached: all ${formatAmount(feature, limit)} ${label} used`
        : `${formatAmount(feature, left)} of ${formatAmount(feature, limit)} ${label} left`,
  };
}
