export {
  appRouter,
  createAppRouter,
  createCaller,
  createUsageRouter,
  usageRouter,
} from "./router/root";
export type {
  CanUseFeatureResultOf,
  CurrentUsageOf,
  LifetimeStatsOf,
  MonthlyUsageOf,
  RecordUsageResultOf,
} from "./router/outputs";
export type { AppRouter } from "./router/root";
export {
  createCallerFactory,
  createTRPCContext,
  usageErrorFormatter,
  usageTransformer,
} from "./transport/trpc";
export type { Context, CreateContextOptions } from "./transport/trpc";
export type { Auth } from "./transport/auth";
export {
  billableFeatures,
  catalog,
  defaultTiers,
  defineTiers,
  tiersOf,
  features,
  monthlyField,
  overageField,
  tierNames,
} from "./limits/tiers";
export type {
  BillableFeature,
  Feature,
  FeatureLimit,
  TierConfig,
  TierName,
  Tiers,
} from "./limits/tiers";
export * from "./schemas";
export { IdempotencyConflictError, isRefusal, LimitExceededError, limitExceededOf } from "./errors";
export { verifyWebhook } from "./alerts/signature";
export { deliverDueWebhooks, startWebhookDelivery } from "./alerts/webhooks";
export type { WebhookOptions } from "./alerts/webhooks";
export { moveKeys } from "./record/move-keys";
export { keepRollupsFresh, refreshRollups } from "./rollups/refresh";
export type { RollupRefresh } from "./rollups/refresh";
export type { Alert } from "./alerts/list";
export { InternalError } from "./transport/masking";
export type { ErrorLogger } from "./transport/masking";
export { MAX_BATCH_CALLS, MAX_BODY_BYTES, MAX_DRAIN_BYTES } from "./transport/http-limits";
export type { LimitExceeded } from "./errors";
export type { MonthlyUsage } from "./store/columns";
export type { CurrentUsage, CanUseFeatureResult } from "./limits/current-usage";
export type { LifetimeStats } from "./progress/lifetime";
export type { Milestones } from "./progress/milestones";
export type { DropOff, FeatureAdoption, Retention, UserSegments } from "./analytics/activity";
export type { Overage, UpgradeCandidates } from "./analytics/billing";
export type { FeatureValue } from "./analytics/value";
export type { BillingMonth } from "./billing/bills";
export type { BatchResult } from "./record/batch";
export type { Recommendation } from "./progress/recommendations";
