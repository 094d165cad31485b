import { catalogNames, defineCatalog } from "@usagekit/db/catalog";
import { catalog as defaultCatalog } from "@usagekit/db/catalog";
import type {
  BillableFeature,
  CatalogShape,
  Feature,
  LifetimeField,
  MonthlyField,
  OverageField,
  Role,
  TierName,
} from "@usagekit/db/catalog";

/**
 * A catalog as the service runs it: its features and tiers in order, the feature of each role and
 * where each feature is counted. Every statement, schema and answer is built from one, so a host's
 * own catalog (`defineCatalog`) is metered by the same code as the default one. Typed with the
 * default catalog's names; at run time they are the catalog's own.
 */
export interface Model {
  readonly catalog: CatalogShape;
  readonly features: readonly Feature[];
  /** The plans, lowest first; the first is a new user's. */
  readonly tierNames: readonly TierName[];
  readonly defaultTier: TierName;
  readonly billableFeatures: readonly BillableFeature[];
  readonly role: Readonly<Record<Role, Feature>>;
  readonly monthlyField: Readonly<Record<Feature, MonthlyField>>;
  readonly lifetimeField: Readonly<Record<Feature, LifetimeField>>;
  readonly overageField: Readonly<Record<BillableFeature, OverageField>>;
  /** The percents of a limit at which an alert is raised (default 80 and 100). */
  readonly alertThresholds: readonly number[];
  /** The catalog's content as a key: equal catalogs build equal statements. */
  readonly key: string;
}

const models = new WeakMap<CatalogShape, Model>();

/** The model of a catalog, checked by `defineCatalog` once and kept. */
export function modelOf(catalog: CatalogShape): Model {
  let model = models.get(catalog);
  if (model) return model;
  const names = catalogNames(defineCatalog(catalog));
  model = Object.freeze({
    ...names,
    catalog,
    defaultTier: names.tierNames[0],
    key: JSON.stringify(catalog),
  }) as unknown as Model;
  models.set(catalog, model);
  return model;
}

/** `build(model)`, built once per catalog and kept (its statements, schemas, tier table). */
export function perModel<T>(build: (model: Model) => T): (model: Model) => T {
  const built = new WeakMap<Model, T>();
  return (model) => {
    let value = built.get(model);
    if (value === undefined) built.set(model, (value = build(model)));
    return value;
  };
}

/** The language-learning catalog usagekit ships with. */
export const defaultModel = modelOf(defaultCatalog);
