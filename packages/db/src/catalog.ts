/**
 * The catalog: what usagekit meters (features) and what it sells (tiers, in order). It is the one
 * source of both — the schema's per-feature columns, the zod inputs, the SQL, the TypeScript types,
 * the default tier table and the demo's labels all derive from it. To add a feature or a tier,
 * edit this file and run `pnpm db:generate` for its migration; no other code changes.
 *
 * Kept free of imports, so browser code can use it.
 *
 * A feature is counted in the ledger as `<key>`, in the monthly row as `monthlyField` (default
 * `<key>`), in the lifetime row as `total<Key>`. A `billable` feature also gets an
 * `overage<Key>` monthly column, so a tier may give it a soft limit (usage past the limit allowed
 * and billed at a price per block of units); a tier's limit is `null` (unlimited), `0` (not in
 * this tier), a number (hard) or `{ limit, overage: { price, perUnits } }` (soft).
 */
export const catalog = {
  features: {
    conversations: { label: "Conversations", unit: "count" },
    seconds: { label: "Practice time", unit: "seconds", billable: true },
    realtimeSessions: { label: "Realtime sessions", unit: "count" },
    ankiExports: {
      label: "Anki exports",
      noun: "Anki exports",
      unit: "count",
      monthlyField: "ankiExportsUsed",
    },
    customPhrases: { label: "Custom phrases", unit: "count", monthlyField: "customPhrasesCreated" },
    advancedVoiceSeconds: { label: "Advanced voice", unit: "seconds" },
    sessionExtensions: {
      label: "Session extensions",
      unit: "count",
      monthlyField: "sessionExtensionsUsed",
    },
    completedSessions: { label: "Completed sessions", unit: "count" },
  },
  tiers: {
    free: {
      label: "Free",
      price: "0.00",
      limits: {
        conversations: 20,
        seconds: 30 * 60,
        realtimeSessions: 5,
        ankiExports: 3,
        customPhrases: 10,
        advancedVoiceSeconds: 0,
        sessionExtensions: 2,
        completedSessions: null,
      },
    },
    plus: {
      label: "Plus",
      price: "9.99",
      limits: {
        conversations: 300,
        seconds: { limit: 10 * 3600, overage: { price: "0.03", perUnits: 60 } },
        realtimeSessions: 100,
        ankiExports: 50,
        customPhrases: 500,
        advancedVoiceSeconds: 3600,
        sessionExtensions: 30,
        completedSessions: null,
      },
    },
    pro: {
      label: "Pro",
      price: "19.99",
      limits: {
        conversations: null,
        seconds: { limit: 50 * 3600, overage: { price: "0.02", perUnits: 60 } },
        realtimeSessions: null,
        ankiExports: null,
        customPhrases: null,
        advancedVoiceSeconds: 10 * 3600,
        sessionExtensions: null,
        completedSessions: null,
      },
    },
  },
  /**
   * Which feature plays each part the contract's derived fields and progress are about: the
   * conversation (`lastConversationAt`, `firstConversationAt`, sessions per month, drop-off), the
   * practice time (session lengths, segments, hours milestones, `overageSeconds`), the completed
   * session, the realtime session (`lastRealtimeAt`), the export and the phrase (milestones).
   */
  roles: {
    conversation: "conversations",
    practiceTime: "seconds",
    completedSession: "completedSessions",
    realtimeSession: "realtimeSessions",
    export: "ankiExports",
    phrase: "customPhrases",
  },
} as const satisfies CatalogShape;

// ---- What a catalog may say, and the names derived from it ----

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
}
export type Role =
  "conversation" | "practiceTime" | "completedSession" | "realtimeSession" | "export" | "phrase";
export interface CatalogShape {
  readonly features: Readonly<Record<string, FeatureSpec>>;
  readonly tiers: Readonly<Record<string, TierSpec<string>>>;
  readonly roles: Readonly<Record<Role, string>>;
}

type Catalog = typeof catalog;
export type Feature = keyof Catalog["features"] & string;
export type TierName = keyof Catalog["tiers"] & string;

/** The metered quantities, in catalog order. */
export const features = Object.keys(catalog.features) as Feature[];
/** The feature that plays each role (`catalog.roles`). */
export const role: { readonly [R in Role]: Feature } = catalog.roles;
/** The plans, lowest first. */
export const tierNames = Object.keys(catalog.tiers) as [TierName, ...TierName[]];

type MonthlyFieldOf<K extends Feature> = Catalog["features"][K] extends {
  monthlyField: infer M extends string;
}
  ? M
  : K;
export type MonthlyField = { [K in Feature]: MonthlyFieldOf<K> }[Feature];
export type LifetimeField = `total${Capitalize<Feature>}`;
export type BillableFeature = {
  [K in Feature]: Catalog["features"][K] extends { billable: true } ? K : never;
}[Feature];
export type OverageField = `overage${Capitalize<BillableFeature>}`;

const capitalize = <S extends string>(s: S) => (s[0]!.toUpperCase() + s.slice(1)) as Capitalize<S>;
const spec = (f: Feature): FeatureSpec => catalog.features[f];

/** The monthly row's field of each feature. */
export const monthlyField = Object.fromEntries(
  features.map((f) => [f, spec(f).monthlyField ?? f]),
) as { [K in Feature]: MonthlyFieldOf<K> };
/** The lifetime row's field of each feature. */
export const lifetimeField = Object.fromEntries(
  features.map((f) => [f, `total${capitalize(f)}`]),
) as { [K in Feature]: `total${Capitalize<K>}` };
/** The features that may have a soft limit. */
export const billableFeatures = features.filter((f) => spec(f).billable) as BillableFeature[];
/** The monthly overage field of each billable feature. */
export const overageField = Object.fromEntries(
  billableFeatures.map((f) => [f, `overage${capitalize(f)}`]),
) as { [K in BillableFeature]: `overage${Capitalize<K>}` };
