import { getTableName } from "drizzle-orm";
import { catalog } from "./catalog";
import { usagekitTables } from "./tables";

export { usagekit, usagekitTables } from "./tables";
export type { Hold } from "./tables";
export { tierNames } from "./catalog";
export type { TierName } from "./catalog";

const defaultTables = usagekitTables(catalog);

/** The names of usagekit's tables (the same for every catalog: only their columns differ). */
export const usagekitTableNames = Object.values(defaultTables).map((t) => getTableName(t));

/** usagekit's tables for the default catalog (drizzle-kit generates `drizzle/` from these). */
export const {
  users,
  monthlyUsage,
  lifetimeStats,
  usageEvents,
  usageEventKeys,
  usageEventKeysPast,
  usageEventKeysPastFilter,
  dailyActivity,
  payments,
  limitRefusals,
  reservations,
  alerts,
  grants,
  ledgerRetained,
  retainedOverage,
  rollupMonths,
  forecasts,
  forecastDirty,
  forecastsNext,
} = defaultTables;
