export { UsageProvider, useUsageApi, useUsageCatalog } from "./context";
export type { AnyUsageApi, UsageApi } from "./context";
export type { AnyFeature, AnyTier, Catalog } from "./names";
export { limitExceededOf, useCanUse, useRefreshUsage, useUsage } from "./hooks";
export { UpgradePrompt, UsageMeter } from "./components";
export { featureLabel, featureNoun, formatAmount, meter } from "./format";
export type { MeterState } from "./format";
export { allowance, isSoftLimit, resetsIn, tierLabel, upgradeFor } from "./allowance";
export type { Gate } from "./allowance";
