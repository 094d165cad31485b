import { bigint, date, index, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { usagekit } from "./schema-name";

const total = () => bigint({ mode: "number" }).notNull().default(0);
type Total = ReturnType<typeof total>;

/**
 * The analytics' per-user rollup: one row per user and UTC month with events, folded from the
 * ledger by `refreshRollups` (usage-api `rollups/`), never by the write path. The cross-user
 * aggregates folded with it (`rollup_groups`, `rollup_seconds`, `rollup_cohorts`,
 * `rollup_state`) hold no user id: they are plain SQL in migration 0007, not catalog tables.
 * `features` names one total per feature (the ledger's columns); `practiceTime` is the feature
 * whose total ranks the month's top users.
 */
export function rollupTables<F extends string>(features: readonly F[], practiceTime: F) {
  const totals = Object.fromEntries(features.map((f) => [f, total()])) as Record<F, Total>;
  return {
    rollupMonths: usagekit.table(
      "rollup_months",
      {
        userId: text().notNull(),
        /** The UTC month (its first day). */
        month: date().notNull(),
        /** The tier of the user's latest event in the month (by instant, then id). */
        tier: text().notNull(),
        lastAt: timestamp({ withTimezone: true }).notNull(),
        lastId: bigint({ mode: "number" }).notNull(),
        /** Bit i (features in catalog order, `rollup_state.features`): the month's total > 0. */
        positive: total(),
        /** Bit i: the month's total < 0 (corrections past what the month used). */
        negative: total(),
        /** Bit i: some event of the month used features[i] (an amount > 0). */
        used: total(),
        ...totals,
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.month] }),
        index("rollup_months_month_last_at_idx").on(t.month, t.lastAt),
        index("rollup_months_month_top_idx").on(t.month, t[practiceTime].desc(), t.userId),
      ],
    ),
  };
}
