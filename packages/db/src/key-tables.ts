import { sql } from "drizzle-orm";
import { bigint, bit, date, primaryKey, text } from "drizzle-orm/pg-core";
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

    /**
     * Per user with past keys, a Bloom filter of them (`record/key-filter.ts` in the API): a
     * claim looks among the past keys only where its key's bits are all set, so a new key costs
     * no read of the past keys' index. Set by the move in the transaction that copies the keys;
     * it may hold bits of keys gone since (erased, retained away), never lack a past key's.
     */
    usageEventKeysPastFilter: usagekit.table("usage_event_keys_past_filter", {
      userId: text().primaryKey(),
      bits: bit({ dimensions: 1024 }).notNull(),
    }),
  };
}
