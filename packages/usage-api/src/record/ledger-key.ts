import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { mayBePast } from "./key-filter";

/**
 * The ledger's idempotency rule, written once for every statement that records or answers keyed
 * events: a key is recorded once per user, whatever the month. The ledger is partitioned by
 * month, and a partitioned table's unique index holds only within a partition, so each key is
 * claimed in `usage_event_keys` (user, key → month) by the statement that inserts its event; a
 * concurrent claim of the same key waits for the first to commit and then claims nothing. The
 * keys of past months are moved to `usage_event_keys_past` (`move-keys.ts`): a key found there
 * is not claimed either (looked for only where the user's filter of past keys may hold it:
 * `key-filter.ts`), and a moved key stays in both tables until no statement that could miss
 * it in the past ones is left.
 */
export const claimKeys = (p: { from: SQL; userId: SQL; key: SQL; month: SQL; where: SQL }) => sql`
  INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
  SELECT c.* FROM (SELECT ${p.userId} AS user_id, ${p.key} AS idempotency_key, ${p.month} AS month
    FROM ${p.from} WHERE ${p.key} IS NOT NULL AND ${p.where}) c
  -- A scalar subquery, looked up by its key per row (an EXISTS could be hashed: a scan of all).
  WHERE CASE WHEN ${mayBePast(sql`c.user_id`, sql`c.idempotency_key`)}
    THEN (SELECT count(*) FROM usagekit.usage_event_keys_past p
      WHERE p.user_id = c.user_id AND p.idempotency_key = c.idempotency_key) = 0
    ELSE true END
  ORDER BY 1, 2
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING user_id, idempotency_key`;

/** The event is new: keyless, or its key claimed by this statement (the `claimed` CTE). */
export const claimed = (userId: SQL, key: SQL) =>
  sql`(${key} IS NULL OR (${userId}, ${key}) IN (SELECT user_id, idempotency_key FROM claimed))`;

/**
 * Every claim (user, key → month), recent or past, each once (a key being moved is in both
 * tables for a while): what reconcile compares with the ledger.
 */
export const everyKey = sql`(SELECT user_id, idempotency_key, month FROM usagekit.usage_event_keys
  UNION ALL SELECT p.user_id, p.idempotency_key, p.month FROM usagekit.usage_event_keys_past p
  WHERE NOT EXISTS (SELECT 1 FROM usagekit.usage_event_keys r
    WHERE r.user_id = p.user_id AND r.idempotency_key = p.idempotency_key))`;

/**
 * The ledger row `e` recorded under `userId`'s `key` (as its claim `k`, recent or past: the
 * first found), in its own partition; a lateral lookup, so each table is read by its key.
 */
export const keyedEvent = (userId: SQL, key: SQL) => sql`LATERAL (
    SELECT user_id, idempotency_key, month FROM usagekit.usage_event_keys
    WHERE user_id = ${userId} AND idempotency_key = ${key}
    UNION ALL SELECT user_id, idempotency_key, month FROM usagekit.usage_event_keys_past
    WHERE user_id = ${userId} AND idempotency_key = ${key} LIMIT 1) k
  JOIN usagekit.usage_events e
    ON e.user_id = k.user_id AND e.month = k.month AND e.idempotency_key = k.idempotency_key`;
