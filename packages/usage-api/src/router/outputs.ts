import type {
  CatalogShape,
  FeatureOf,
  LifetimeFieldOf,
  MonthlyFieldOf,
  OverageFieldOf,
  TierOf,
} from "@usagekit/db/catalog";
import type { LifetimeField, MonthlyField, OverageField } from "@usagekit/db/catalog";
import type { CanUseFeatureResult, CurrentUsage } from "../limits/current-usage";
import type { LifetimeStats } from "../progress/lifetime";
import type { RecordUsageResult } from "../record/record-usage";
import type { MonthlyUsage } from "../store/columns";

/** The answers that name a catalog's features and tiers, typed with a host catalog's own. */
export type MonthlyUsageOf<C extends CatalogShape> = Omit<
  MonthlyUsage,
  MonthlyField | OverageField | "tierWhenUsed"
> &
  Record<MonthlyFieldOf<C> | OverageFieldOf<C>, number> & { tierWhenUsed: TierOf<C> };

export type RecordUsageResultOf<C extends CatalogShape> = Omit<RecordUsageResult, "usage"> & {
  usage: MonthlyUsageOf<C>;
};

export type CurrentUsageOf<C extends CatalogShape> = MonthlyUsageOf<C> & {
  tier: TierOf<C>;
  period: CurrentUsage["period"];
  features: Record<FeatureOf<C>, CurrentUsage["features"][keyof CurrentUsage["features"]]>;
};

export type CanUseFeatureResultOf<C extends CatalogShape> = Omit<
  CanUseFeatureResult,
  "feature" | "tier"
> & { feature: FeatureOf<C>; tier: TierOf<C> };

export type LifetimeStatsOf<C extends CatalogShape> = Omit<
  LifetimeStats,
  LifetimeField | "highestTierReached"
> &
  Record<LifetimeFieldOf<C>, number> & { highestTierReached: TierOf<C> };
