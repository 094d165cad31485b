import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { inTransaction } from "../store/savepoint";
import { lockUsers } from "../store/user-locks";

/**
 * The holds each user's row should carry: its reservations neither settled, released nor expired
 * at `now`, as `users.holds` writes them.
 */
const expectedHolds = (tiers: Tiers, now: SQL) => {
  const { features, ledgerCol } = columnsOf(tiers);
  const amounts = sql.join(
    features.map((f) => sql`${f}::text, nullif(r.${ledgerCol(f)}, 0)`),
    sql`, `,
  );
  return sql`SELECT u.id AS user_id, coalesce((SELECT jsonb_agg(jsonb_build_object('id', r.id::text,
      'expiresAt', to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'amounts', jsonb_strip_nulls(jsonb_build_object(${amounts}))) ORDER BY r.id)
    FROM usagekit.reservations r WHERE r.user_id = u.id AND r.settled_at IS NULL
      AND r.released_at IS NULL AND r.expires_at > ${now}), '[]'::jsonb) AS holds
  FROM usagekit.users u`;
};

/** Holds as compared: the active ones at `now`, by id, with their expiry (ms) and amounts. */
const live = (holds: SQL, now: SQL) => sql`(SELECT coalesce(jsonb_agg(jsonb_build_object(
    'id', h ->> 'id', 'expiresAt', round(extract(epoch FROM (h ->> 'expiresAt')::timestamptz) * 1000),
    'amounts', h -> 'amounts') ORDER BY h ->> 'id'), '[]'::jsonb)
  FROM jsonb_array_elements(${holds}) h WHERE (h ->> 'expiresAt')::timestamptz > ${now})`;

/** Users whose live holds are not their live reservations, as drift rows of `users`. */
export const holdsDrift = (tiers: Tiers, now: Date) => {
  const at = sql`${now.toISOString()}::timestamptz`;
  return sql`SELECT 'users' AS "table",
      jsonb_build_object('user_id', x.user_id, 'holds', ${live(sql`x.holds`, at)}) AS "expected",
      jsonb_build_object('user_id', u.id, 'holds', ${live(sql`u.holds`, at)}) AS "actual"
    FROM (${expectedHolds(tiers, at)}) x JOIN usagekit.users u ON u.id = x.user_id
    WHERE ${live(sql`x.holds`, at)} IS DISTINCT FROM ${live(sql`u.holds`, at)}`;
};

/**
 * Rewrites the holds of `userIds` from their reservations, under the users' transaction locks
 * (a reservation of one of them waits, and is seen).
 */
export const repairHolds = (db: Db, tiers: Tiers, userIds: string[], now: Date) =>
  inTransaction(db, async (tx) => {
    await lockUsers(tx, userIds);
    const at = sql`${now.toISOString()}::timestamptz`;
    await tx.execute(sql`UPDATE usagekit.users u SET holds = x.holds, updated_at = now()
      FROM (${expectedHolds(tiers, at)}) x
      WHERE u.id = x.user_id AND u.id IN (${sql.join(
        userIds.map((id) => sql`${id}::text`),
        sql`, `,
      )}) AND ${live(sql`x.holds`, at)} IS DISTINCT FROM ${live(sql`u.holds`, at)}`);
  });
