import { catalogNames, defineCatalog } from "./define-catalog";
import type { CatalogTypes } from "./define-catalog";

export { catalogNames, defineCatalog, ROLES } from "./define-catalog";
export type * from "./define-catalog";

/**
 * The catalog: what usagekit meters (features) and what it sells (tiers, in order). It is the one
 * source of both — the schema's per-feature columns, the zod inputs, the SQL, the TypeScript types,
 * the default tier table and the demo's labels all derive from it. To add a feature or a tier,
 * edit this file and run `pnpm db:generate` for its migration; no other code changes. A host
 * declares its own with `defineCatalog` and writes its migrations with `usagekit generate`.
 *
 * Kept free of runtime dependencies, so browser code can use it.
 *
 * A feature is counted in the ledger as `<key>`, in the monthly row as `monthlyField` (default
 * `<key>`), in the lifetime row as `total<Key>`. A `billable` feature also gets an
 * `overage<Key>` monthly column, so a tier may give it a soft limit (usage past the limit allowed
 * and billed at a price per block of units); a tier's limit is `null` (unlimited), `0` (not in
 * this tier), a number (hard) or `{ limit, overage: { price, perUnits } }` (soft).
 */
export const catalog = defineCatalog({
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
});

type Types = CatalogTypes<typeof catalog>;
export type Feature = Types["Feature"];
export type TierName = Types["TierName"];
export type MonthlyField = Types["MonthlyField"];
export type LifetimeField = Types["LifetimeField"];
export type BillableFeature = Types["BillableFeature"];
export type OverageField = Types["OverageField"];

/**
 * The default catalog's names: its features in order, the plans lowest first, the feature of each
 * role, and where each feature is counted (monthly, lifetime and overage fields).
 */
export const {
  features,
  tierNames,
  role,
  billableFeatures,
  monthlyField,
  lifetimeField,
  overageField,
} = catalogNames(catalog);
