import { catalog } from "@usagekit/db/catalog";
import type { CatalogShape, Feature, FeatureSpec, LimitSpec, TierName } from "@usagekit/db/catalog";

/** A feature of the catalog: the default catalog's names autocomplete; a host's own are strings. */
export type AnyFeature = Feature | (string & {});
/** A tier of the catalog (the default catalog's names autocomplete). */
export type AnyTier = TierName | (string & {});

/** The catalog the components speak of: the provider's (a host's own), else usagekit's default. */
export type Catalog = CatalogShape;
export const defaultCatalog: Catalog = catalog;

/** A feature's entry in the catalog; a name the catalog lacks is the host's mistake, said plainly. */
export function featureSpec(catalog: Catalog, feature: string): FeatureSpec {
  const spec = catalog.features[feature];
  if (!spec) throw new Error(`usagekit: "${feature}" is not a feature of the catalog`);
  return spec;
}

/** A tier's entry in the catalog. */
export function tierSpec(catalog: Catalog, tier: string) {
  const spec = catalog.tiers[tier];
  if (!spec) throw new Error(`usagekit: "${tier}" is not a tier of the catalog`);
  return spec;
}

/** The tier's limit of a feature, as the catalog writes it. */
export const limitSpec = (catalog: Catalog, tier: string, feature: string): LimitSpec => {
  featureSpec(catalog, feature);
  return tierSpec(catalog, tier).limits[feature] ?? null;
};
