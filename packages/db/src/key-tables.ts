import { sql } from "drizzle-orm";
import { bigint, date, primaryKey, text } from "drizzle-orm/pg-core";
import { usagekit } from "./schema-name";

/** The ledger's idempotency keys (`record/ledger-key.ts` and `record/move-keys.ts` in the API). */
export function keyTables() {
  return {
    /**
     * Every idempotency key of the ledger, once per user whatever the month (a partitioned
     * table's unique index holds only within a partition): the statement that records an event
     * claims its key here (the recent keys) after looking among the past ones, so a retry in any
     * month finds it.
     */
    usageEventKeys: usagekit.table(
      "usage_event_keys",
      {
        userId: text().notNull(),
        idempotencyKey: text().notNull(),
        /** The ledger partition the event is in. */
        month: date().notNull(),
      },
      (t) => [primaryKey({ columns: [t.userId, t.idempotencyKey] })],
    ),

    /**
     * The keys of past months, moved out of `usage_event_keys` (`record/move-keys.ts` in the
     * API) so that the table a new key is written to stays the size of a month or two: a claim
     * looks here first. `movedBy`: the moving transaction's id (`pg_current_xact_id()`); a key
     * leaves `usage_event_keys` only once no snapshot older than its move is left.
     */
    usageEventKeysPast: usagekit.table(
      "usage_event_keys_past",
      {
        userId: text().notNull(),
        idempotencyKey: text().notNull(),
        month: date().notNull(),
        movedBy: bigint({ mode: "number" })
          .notNull()
          .default(sql`(pg_current_xact_id()::text::bigint)`),
      },
      (t) => [primaryKey({ columns: [t.userId, t.idempotencyKey] })],
    ),
  };
}
