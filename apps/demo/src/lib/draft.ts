import { billableFeatures, catalog, features, tierNames } from "@usagekit/db/catalog";
import type { Feature, LimitSpec, TierName } from "@usagekit/db/catalog";

/** How a tier limits a feature in the pricing lab's form. */
export type LimitKind = "hard" | "soft" | "unlimited";

/** One feature's limit as typed: the limit (minutes for time) and, when soft, its overage price. */
export interface LimitField {
  kind: LimitKind;
  limit: string;
  price: string;
  perUnits: number;
}

/** The pricing lab's form: per tier, its monthly price and each feature's limit, as typed. */
export type DraftForm = Record<TierName, { price: string; limits: Record<Feature, LimitField> }>;

/** Time is typed in minutes; the catalog counts it in seconds. */
export const inMinutes = (feature: Feature) => catalog.features[feature].unit === "seconds";
const UNIT = (feature: Feature) => (inMinutes(feature) ? 60 : 1);

function fieldOf(feature: Feature, spec: LimitSpec): LimitField {
  const shown = (n: number) => String(n / UNIT(feature));
  if (spec === null) return { kind: "unlimited", limit: "", price: "", perUnits: UNIT(feature) };
  if (typeof spec === "number")
    return { kind: "hard", limit: shown(spec), price: "", perUnits: UNIT(feature) };
  return { kind: "soft", limit: shown(spec.limit), ...spec.overage };
}

/** The real catalog as the form shows it: where the lab starts, and what "Reset" brings back. */
export const formFromCatalog = (): DraftForm =>
  Object.fromEntries(
    tierNames.map((tier) => {
      const { price, limits } = catalog.tiers[tier];
      const fields = features.map((f) => [f, fieldOf(f, limits[f])]);
      return [tier, { price, limits: Object.fromEntries(fields) }];
    }),
  ) as DraftForm;

/** The kinds of limit the form offers for a feature: a soft limit only for billable features. */
export function kindsFor(feature: Feature): LimitKind[] {
  const billable = (billableFeatures as readonly Feature[]).includes(feature);
  return ["hard", ...(billable ? (["soft"] as const) : []), "unlimited"];
}

/**
 * A typed limit in the catalog's units; what is not a number goes as typed, so that the server
 * names what is wrong with it (a fraction or a word is BAD_REQUEST naming its path).
 */
function units(feature: Feature, typed: string): number | string {
  const n = Number(typed.trim());
  if (typed.trim() === "" || !Number.isFinite(n)) return typed;
  const value = n * UNIT(feature);
  // 10.1 minutes is 606 seconds, not 606.0000000000001.
  return Math.abs(value - Math.round(value)) < 1e-9 ? Math.round(value) : value;
}

function limitOf(feature: Feature, field: LimitField) {
  if (field.kind === "unlimited") return null;
  const limit = units(feature, field.limit);
  if (field.kind === "hard") return limit;
  return { limit, overage: { price: field.price.trim(), perUnits: field.perUnits } };
}

/** The draft `analytics.simulateCatalog` replays: every tier's price and limits as the form has them. */
export const draftOf = (form: DraftForm) => ({
  tiers: Object.fromEntries(
    tierNames.map((tier) => [
      tier,
      {
        price: form[tier].price.trim(),
        limits: Object.fromEntries(features.map((f) => [f, limitOf(f, form[tier].limits[f])])),
      },
    ]),
  ),
});

/**
 * A server's message about a draft in the form's words: "draft.tiers.free.limits.conversations:
 * must be …" → "Free · Conversations: must be …".
 */
export const readableDraftError = (message: string) =>
  message.replace(
    /draft\.tiers\.(\w+)(?:\.limits\.(\w+))?((?:\.\w+)*)/g,
    (path, tier: string, feature: string | undefined, rest: string) => {
      const plan = catalog.tiers[tier as TierName]?.label;
      if (!plan) return path;
      const what = feature ? catalog.features[feature as Feature]?.label : undefined;
      const tail = rest.replace(/^\./, "").replaceAll(".", " ");
      return [plan, what ?? feature, tail].filter(Boolean).join(" · ");
    },
  );
