/**
 * What a catalog may say, `defineCatalog` (which checks it), and the names derived from any
 * catalog: the ledger, monthly, lifetime and overage fields of its features. Free of imports, so
 * browser code can use it.
 */

export interface FeatureSpec {
  /** How people call it ("Practice time"). */
  readonly label: string;
  /** In a sentence ("3 Anki exports a month"); default: the label in lower case. */
  readonly noun?: string;
  /** `seconds` are shown as minutes and hours; `count` as a number. */
  readonly unit: "count" | "seconds";
  /** The monthly row's field, when it is not the feature's key (kept for existing names). */
  readonly monthlyField?: string;
  /** May have a soft limit (billable overage): gets an `overage<Key>` monthly column. */
  readonly billable?: boolean;
}
export type LimitSpec =
  | number
  | null
  | {
      readonly limit: number;
      readonly overage: { readonly price: string; readonly perUnits: number };
    };
export interface TierSpec<F extends string> {
  readonly label: string;
  /** The monthly price, a decimal string. */
  readonly price: string;
  readonly limits: { readonly [K in F]: LimitSpec };
  /**
   * Features whose unused monthly allowance rolls over: the unused part of the tier allowance of
   * the previous `months` months (at most `max` in all) is added to this month's.
   */
  readonly rollover?: { readonly [K in F]?: RolloverSpec };
}
export interface RolloverSpec {
  readonly months: number;
  readonly max?: number;
}
export const ROLES = [
  "conversation",
  "practiceTime",
  "completedSession",
  "realtimeSession",
  "export",
  "phrase",
] as const;
export type Role = (typeof ROLES)[number];
export interface CatalogShape {
  readonly features: Readonly<Record<string, FeatureSpec>>;
  readonly tiers: Readonly<Record<string, TierSpec<string>>>;
  readonly roles: Readonly<Record<Role, string>>;
  /**
   * When a user's monthly usage of a feature with a limit raises an alert: percents of the limit,
   * ascending (default 80 and 100).
   */
  readonly alertThresholds?: readonly number[];
}

export type FeatureOf<C extends CatalogShape> = keyof C["features"] & string;
export type TierOf<C extends CatalogShape> = keyof C["tiers"] & string;
type MonthlyFieldOfKey<C extends CatalogShape, K extends FeatureOf<C>> = C["features"][K] extends {
  monthlyField: infer M extends string;
}
  ? M
  : K;
export type MonthlyFieldOf<C extends CatalogShape> = {
  [K in FeatureOf<C>]: MonthlyFieldOfKey<C, K>;
}[FeatureOf<C>];
export type LifetimeFieldOf<C extends CatalogShape> = `total${Capitalize<FeatureOf<C>>}`;
export type BillableOf<C extends CatalogShape> = {
  [K in FeatureOf<C>]: C["features"][K] extends { billable: true } ? K : never;
}[FeatureOf<C>];
export type OverageFieldOf<C extends CatalogShape> = `overage${Capitalize<BillableOf<C>>}`;
/** A catalog's types, by name: `CatalogTypes<typeof catalog>["Feature"]`. */
export interface CatalogTypes<C extends CatalogShape> {
  Feature: FeatureOf<C>;
  TierName: TierOf<C>;
  MonthlyField: MonthlyFieldOf<C>;
  LifetimeField: LifetimeFieldOf<C>;
  BillableFeature: BillableOf<C>;
  OverageField: OverageFieldOf<C>;
}

const DEFAULT_THRESHOLDS: readonly number[] = [80, 100];

const capitalize = <S extends string>(s: S) => (s[0]!.toUpperCase() + s.slice(1)) as Capitalize<S>;

/** A catalog's names: features and tiers in order, and where each feature is counted. */
export function catalogNames<C extends CatalogShape>(catalog: C) {
  const features = Object.keys(catalog.features) as FeatureOf<C>[];
  const spec = (f: FeatureOf<C>): FeatureSpec => catalog.features[f]!;
  const billableFeatures = features.filter((f) => spec(f).billable) as BillableOf<C>[];
  return {
    features,
    /** The plans, lowest first. */
    tierNames: Object.keys(catalog.tiers) as [TierOf<C>, ...TierOf<C>[]],
    /** The feature that plays each role. */
    role: catalog.roles as { readonly [R in Role]: FeatureOf<C> },
    billableFeatures,
    monthlyField: Object.fromEntries(features.map((f) => [f, spec(f).monthlyField ?? f])) as {
      [K in FeatureOf<C>]: MonthlyFieldOfKey<C, K>;
    },
    lifetimeField: Object.fromEntries(features.map((f) => [f, `total${capitalize(f)}`])) as {
      [K in FeatureOf<C>]: `total${Capitalize<K>}`;
    },
    overageField: Object.fromEntries(
      billableFeatures.map((f) => [f, `overage${capitalize(f)}`]),
    ) as { [K in BillableOf<C>]: `overage${Capitalize<K>}` },
    /** The percents of a limit at which an alert is raised. */
    alertThresholds: catalog.alertThresholds ?? DEFAULT_THRESHOLDS,
  };
}

// ---- Checking a catalog: what the schema and the SQL need of it ----

/** A name that becomes a column or a SQL literal: camelCase letters and digits. */
const NAME = /^[a-z][a-zA-Z0-9]{0,39}$/;
const PRICE = /^\d{1,8}(\.\d{1,2})?$/;
/** What the reports can follow per user in one bit mask each. */
const MAX_FEATURES = 60;
/** The tables' own fields, which no feature's field may take. */
const RESERVED = new Set(
  (
    "userId id idempotencyKey occurredAt recordedAt month day tier periodStart periodEnd " +
    "completedSessionSeconds longestSession tierWhenUsed lastEventAt lastConversationAt " +
    "lastRealtimeAt createdAt updatedAt totalRevenue"
  ).split(" "),
);

function fail(where: string, what: string): never {
  throw new Error(`usagekit catalog: ${where} ${what}`);
}
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A feature or tier: a name usable as a column, an object, a label. */
function checkEntry(where: string, name: string, spec: unknown): Record<string, unknown> {
  if (!NAME.test(name)) fail(where, "must be a camelCase name of letters and digits (≤ 40)");
  if (!isObject(spec)) fail(where, "must be an object");
  if (typeof spec.label !== "string" || !spec.label) fail(`${where}.label`, "must be a string");
  return spec;
}

function checkFeature(key: string, value: unknown) {
  const where = `features.${key}`;
  const spec = checkEntry(where, key, value);
  if (spec.unit !== "count" && spec.unit !== "seconds")
    fail(`${where}.unit`, 'must be "count" or "seconds"');
  if (spec.monthlyField !== undefined && !NAME.test(String(spec.monthlyField)))
    fail(`${where}.monthlyField`, "must be a camelCase name");
  if (spec.billable !== undefined && typeof spec.billable !== "boolean")
    fail(`${where}.billable`, "must be true or false");
}

function checkTier(name: string, value: unknown, features: string[]) {
  const where = `tiers.${name}`;
  const tier = checkEntry(where, name, value);
  if (typeof tier.price !== "string" || !PRICE.test(tier.price))
    fail(`${where}.price`, 'must be a decimal string with at most 2 decimals ("9.99")');
  if (!isObject(tier.limits)) fail(`${where}.limits`, "must be an object");
  for (const f of features)
    if (!(f in tier.limits)) fail(`${where}.limits.${f}`, "is missing (null means unlimited)");
  for (const f of Object.keys(tier.limits))
    if (!features.includes(f)) fail(`${where}.limits.${f}`, "is not a feature of the catalog");
  if (tier.rollover === undefined) return;
  if (!isObject(tier.rollover)) fail(`${where}.rollover`, "must be an object");
  for (const f of Object.keys(tier.rollover))
    if (!features.includes(f)) fail(`${where}.rollover.${f}`, "is not a feature of the catalog");
}

/**
 * A host's catalog — its features (what is metered) and tiers (what is sold, in order) — checked
 * for what the schema needs: names usable as columns, every tier limiting every feature, the roles
 * naming features, fields that do not collide. Tier limits themselves are checked by `defineTiers`
 * where usagekit takes the catalog. Returns it as given, typed.
 */
export function defineCatalog<const C extends CatalogShape>(catalog: C): C {
  if (!isObject(catalog)) fail("", "must be an object");
  if (!isObject(catalog.features) || Object.keys(catalog.features).length === 0)
    fail("features", "must name at least one feature");
  if (Object.keys(catalog.features).length > MAX_FEATURES)
    fail("features", `must name at most ${MAX_FEATURES} features`);
  const features = Object.keys(catalog.features);
  for (const f of features) checkFeature(f, catalog.features[f]);
  if (!isObject(catalog.tiers) || Object.keys(catalog.tiers).length === 0)
    fail("tiers", "must name at least one tier");
  for (const [name, tier] of Object.entries(catalog.tiers)) checkTier(name, tier, features);
  if (!isObject(catalog.roles)) fail("roles", "must be an object");
  for (const r of ROLES)
    if (!features.includes(catalog.roles[r])) fail(`roles.${r}`, "must name a feature");
  const thresholds: unknown = catalog.alertThresholds;
  if (
    thresholds !== undefined &&
    !(
      Array.isArray(thresholds) &&
      thresholds.length <= 10 &&
      thresholds.every(
        (t, i) => Number.isInteger(t) && t >= 1 && t <= 1000 && (i === 0 || t > thresholds[i - 1]),
      )
    )
  )
    fail("alertThresholds", "must be at most 10 ascending whole percents (1 to 1000)");
  const names = catalogNames(catalog);
  // The ledger's, the monthly row's and the lifetime row's columns of the features.
  for (const columns of [
    features,
    [...Object.values<string>(names.monthlyField), ...Object.values<string>(names.overageField)],
    Object.values<string>(names.lifetimeField),
  ]) {
    const taken = columns.find((c, i) => RESERVED.has(c) || columns.indexOf(c) < i);
    if (taken) fail("features", `use the field ${taken} twice or as one of usagekit's own`);
  }
  return catalog;
}
