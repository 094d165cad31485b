export { appRouter, createCaller, usageRouter } from "./router";
export type { AppRouter } from "./router";
export { createTRPCContext, usageErrorFormatter, usageTransformer } from "./trpc";
export type { Context, CreateContextOptions } from "./trpc";
export type { Auth } from "./auth";
export {
  billableFeatures,
  catalog,
  defaultTiers,
  defineTiers,
  features,
  monthlyField,
  overageField,
  tierNames,
} from "./tiers";
export type { BillableFeature, Feature, FeatureLimit, TierConfig, TierName, Tiers } from "./tiers";
export * from "./schemas";
export { IdempotencyConflictError, InternalError, LimitExceededError } from "./errors";
export type { ErrorLogger } from "./errors";
export { MAX_BATCH_CALLS, MAX_BODY_BYTES, MAX_DRAIN_BYTES } from "./limits";
export type { LimitExceeded } from "./errors";
export type { MonthlyUsage } from "./service/columns";
export type { CurrentUsage, CanUseFeatureResult } from "./service/current-usage";
export type { LifetimeStats } from "./service/lifetime";
export type { Milestones } from "./service/milestones";
export type {
  DropOff,
  FeatureAdoption,
  Retention,
  UserSegments,
} from "./service/analytics-activity";
export type { Overage, UpgradeCandidates } from "./service/analytics-billing";
export type { FeatureValue } from "./service/analytics-value";
export type { BillingMonth } from "./service/billing-history";
export type { BatchResult } from "./service/record-batch";
export type { Recommendation } from "./service/recommendations";
