import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/**
 * The ledger's idempotency rule, written once for every statement that records or answers keyed
 * events: a key is recorded once per user, whatever the month. The ledger is partitioned by
 * month, and a partitioned table's unique index holds only within a partition, so each key is
 * claimed in `usage_event_keys` (user, key → month) by the statement that inserts its event; a
 * concurrent claim of the same key waits for the first to commit and then claims nothing.
 */
export const claimKeys = (p: { from: SQL; userId: SQL; key: SQL; month: SQL; where: SQL }) => sql`
  INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
  SELECT ${p.userId}, ${p.key}, ${p.month} FROM ${p.from} WHERE ${p.key} IS NOT NULL AND ${p.where}
  ORDER BY 1, 2
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING user_id, idempotency_key`;

/** The event is new: keyless, or its key claimed by this statement (the `claimed` CTE). */
export const claimed = (userId: SQL, key: SQL) =>
  sql`(${key} IS NULL OR (${userId}, ${key}) IN (SELECT user_id, idempotency_key FROM claimed))`;

/** The ledger row `e` recorded under key `k` (a `usage_event_keys` row): in its own partition. */
export const keyedEvent = sql`usagekit.usage_event_keys k JOIN usagekit.usage_events e
  ON e.user_id = k.user_id AND e.month = k.month AND e.idempotency_key = k.idempotency_key`;
