import { bigint, bigserial, date, index, primaryKey, text } from "drizzle-orm/pg-core";
import { usagekit } from "./schema-name";

/** A kept forecast's columns: one row per learner and feature. */
const forecastColumns = () => ({
  userId: text().notNull(),
  feature: text().notNull(),
  /** The learner's tier (the forecast's limits). */
  tier: text().notNull(),
  /** The tier the report ranks them at: the month's plan (`rollup_months`), or `tier`. */
  planTier: text().notNull(),
  used: bigint({ mode: "number" }).notNull(),
  limit: bigint({ mode: "number" }).notNull(),
  projected: bigint({ mode: "number" }).notNull(),
  /** The local date the pace reaches the limit (today when it already has). */
  reaches: date().notNull(),
});

/**
 * The forecasts kept for `analytics.upgradeCandidates` (usage-api `rollups/forecasts.ts`):
 * the learners whose pace reaches a limit in their current local month, one row per feature,
 * refreshed — never by the write path — for the learners the ledger's new events touched, those
 * marked in `forecast_dirty` (a plan, zone or grant changed), those whose grant expired, and every
 * learner of a time zone whose local day turned. How far they are refreshed
 * (`forecast_state`) holds no user id: plain SQL in migration 0009, not a catalog table.
 */
export function forecastTables() {
  return {
    forecasts: usagekit.table("forecasts", forecastColumns(), (t) => [
      primaryKey({ columns: [t.userId, t.feature] }),
      // The report takes the first learners of each tier in id order.
      index("forecasts_plan_tier_user_id_idx").on(t.planTier, t.userId),
    ]),
    /**
     * The forecasts of the learners of the zones whose local day turns next, made ahead for their
     * new day (usage-api `rollups/next-day.ts`): taken as made when the day turns, so the turn
     * makes again only the learners changed since. For which zones and day: `forecast_next_state`
     * (plain SQL in migration 0010).
     */
    forecastsNext: usagekit.table("forecasts_next", forecastColumns(), (t) => [
      primaryKey({ columns: [t.userId, t.feature] }),
    ]),
    /**
     * Learners whose forecast a plan, zone or grant change made stale: refreshed next. `v` is
     * drawn anew by each mark, so a refresh takes away only the marks it saw (a mark made again
     * while it ran stays for the next one).
     */
    forecastDirty: usagekit.table("forecast_dirty", {
      userId: text().primaryKey(),
      v: bigserial({ mode: "number" }).notNull(),
    }),
  };
}
