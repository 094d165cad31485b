import { bigint, date, jsonb, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt, usagekit } from "./schema-name";

const total = () => bigint({ mode: "number" }).notNull().default(0);
export type Total = ReturnType<typeof total>;

/**
 * What the retention command keeps of the ledger months it drops, so that every answer that
 * read them stays the same: per user, the dropped events' totals, first and last instants, what
 * they took from grants and the milestones reached in them (`ledger_retained`), and per user,
 * month, tier and billable feature the overage units they ran (`retained_overage`, priced by the
 * one money function like the ledger's own replay). `features` names one total per feature.
 */
export function retentionTables<F extends string>(features: readonly F[]) {
  const totals = Object.fromEntries(features.map((f) => [f, total()])) as Record<F, Total>;
  return {
    ledgerRetained: usagekit.table("ledger_retained", {
      userId: text().primaryKey(),
      /** The first month whose events the ledger still holds; the months before are here. */
      keptFrom: date().notNull(),
      ...totals,
      firstActiveAt: timestamp({ withTimezone: true }),
      firstConversationAt: timestamp({ withTimezone: true }),
      lastActiveAt: timestamp({ withTimezone: true }),
      granted: jsonb().$type<Record<string, number>>().notNull().default({}),
      /** Milestone id → the instant it was reached (ISO), for those reached by then. */
      milestones: jsonb().$type<Record<string, string>>().notNull().default({}),
      updatedAt: createdAt(),
    }),
    retainedOverage: usagekit.table(
      "retained_overage",
      {
        userId: text().notNull(),
        month: date().notNull(),
        tier: text().notNull(),
        feature: text().notNull(),
        units: bigint({ mode: "number" }).notNull(),
      },
      (t) => [primaryKey({ columns: [t.userId, t.month, t.tier, t.feature] })],
    ),
  };
}
