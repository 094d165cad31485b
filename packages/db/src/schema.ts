import { catalog } from "./catalog";
import { usagekitTables } from "./tables";

export { usagekit, usagekitTables } from "./tables";
export type { Hold } from "./tables";
export { tierNames } from "./catalog";
export type { TierName } from "./catalog";

/** usagekit's tables for the default catalog (drizzle-kit generates `drizzle/` from these). */
export const {
  users,
  monthlyUsage,
  lifetimeStats,
  usageEvents,
  dailyActivity,
  payments,
  limitRefusals,
  reservations,
  alerts,
  grants,
} = usagekitTables(catalog);
