import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/**
 * A Bloom filter per user of their past idempotency keys (`usage_event_keys_past_filter`): 1,024
 * bits, four per key, taken from the key's 64-bit hash (`hashtextextended`) ten bits at a time.
 * A key whose four bits are not all set in its user's filter is not among the user's past keys,
 * so its claim reads nothing of the past keys' index (the write cost of a grown ledger); at 50
 * past keys a user's filter answers "maybe" for ~1 new key in 1,000, at 200 for ~1 in 20, and a
 * user with many more past keys has most bits set and is looked up every time — slower, never
 * wrong. The filter may hold bits of keys gone since; it never lacks a past key's.
 */
const BITS = 1024;
const PER_KEY = 4;
const SLICE = 10;

/** The `i`th bit position of `key` (0 to 1,023). */
const position = (key: SQL, i: number) =>
  sql`((hashtextextended(${key}, 0) >> ${sql.raw(String(i * SLICE))}) & ${sql.raw(String(BITS - 1))})::int`;

const each = <T>(f: (i: number) => T) => Array.from({ length: PER_KEY }, (_, i) => f(i));

/** The filter of one key: its four bits set. */
export const keyMask = (key: SQL) =>
  each((i) => position(key, i)).reduce<SQL>(
    (bits, at) => sql`set_bit(${bits}, ${at}, 1)`,
    sql.raw(`repeat('0', ${BITS})::bit(${BITS})`),
  );

/**
 * Whether `key` may be among `userId`'s past keys: true when the user's filter has all its bits,
 * false when it lacks one, NULL when the user has no filter (no past keys).
 */
export const mayBePast = (userId: SQL, key: SQL) =>
  sql`(SELECT ${sql.join(
    each((i) => sql`get_bit(f.bits, ${position(key, i)})`),
    sql` & `,
  )} = 1 FROM usagekit.usage_event_keys_past_filter f WHERE f.user_id = ${userId})`;

/** Per user, the filter of the keys `rows` (`user_id`, `idempotency_key`) holds. */
export const filtersOf = (rows: SQL) => sql`
  SELECT user_id, bit_or(${keyMask(sql`idempotency_key`)}) AS bits FROM ${rows} GROUP BY user_id`;

/** Adds the keys of `rows` to their users' filters (in user order, as writers lock). */
export const addToFilters = (rows: SQL) => sql`
  INSERT INTO usagekit.usage_event_keys_past_filter (user_id, bits)
  SELECT user_id, bits FROM (${filtersOf(rows)}) n ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE
    SET bits = usagekit.usage_event_keys_past_filter.bits | excluded.bits`;

/**
 * Users whose filter lacks a bit of one of their past keys (a retry of that key would be
 * claimed again): what reconcile reports among the claims (`usage_event_keys`).
 */
export const filtersDrift = () => sql`
  SELECT 'usage_event_keys' AS "table",
    jsonb_build_object('user_id', x.user_id, 'past_keys_filter', x.bits::text) AS "expected",
    CASE WHEN f.user_id IS NOT NULL
      THEN jsonb_build_object('user_id', f.user_id, 'past_keys_filter', f.bits::text) END AS "actual"
  FROM (${filtersOf(sql`usagekit.usage_event_keys_past`)}) x
  LEFT JOIN usagekit.usage_event_keys_past_filter f ON f.user_id = x.user_id
  WHERE f.bits IS NULL OR (x.bits | f.bits) <> f.bits`;

/** Adds every past key of the users `where` (on `user_id`) selects to their filters. */
export const pastKeysRefiltered = (where: SQL) =>
  addToFilters(sql`(SELECT user_id, idempotency_key
    FROM usagekit.usage_event_keys_past WHERE ${where}) p`);
