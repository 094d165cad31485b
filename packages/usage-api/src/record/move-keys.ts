import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { instant, localMonth, monthEnd } from "../calendar/local-month";
import { addToFilters } from "./key-filter";

/** Keys copied per transaction: short transactions, a line of progress each. */
const CHUNK = 50_000;

/**
 * A transaction id (as a number) whose work every statement of this database now running or to
 * come sees: older than every other session's running transaction and snapshot (a
 * repeatable-read transaction's, say), or the next id when there is none. A key moved by an
 * older transaction is among the past keys for every claim that can still run.
 */
const seenByAll = sql`SELECT (pg_snapshot_xmax(pg_current_snapshot())::text::bigint
    - coalesce((SELECT max(greatest(age(backend_xid), age(backend_xmin))) + 1 FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()), 0))::text AS horizon`;

const LAST_ZONE = sql`'Etc/GMT+12'`;

/**
 * The first month no learner is in any more: the current month of the last zone to reach a new
 * one (UTC−12, from the database's zone data). Keys of earlier months are past.
 */
export const pastBefore = (now: Date) => localMonth(instant(now), LAST_ZONE);

/**
 * Walks `usage_event_keys` in key order, `CHUNK` claims `r` (those matching `where`) per
 * statement and transaction, each chunk handed to `step` (a data-modifying statement returning
 * a row per row changed); `done` hears each chunk's count. Returns the last chunk's
 * transaction id.
 */
async function eachChunk(
  db: Db,
  p: { where: SQL; lock: SQL; step: SQL; also?: SQL; done: (n: number) => void },
): Promise<bigint> {
  let last: { userId: string; key: string } | undefined;
  let by = 0n;
  for (;;) {
    const [chunk] = await queryRows<{ n: number; userId: string; key: string; by: string }>(
      db,
      sql`WITH r AS (
        SELECT k.user_id, k.idempotency_key, k.month FROM usagekit.usage_event_keys k
        WHERE ${p.where}
          ${last ? sql`AND (k.user_id, k.idempotency_key) > (${last.userId}::text, ${last.key}::text)` : sql``}
        ORDER BY k.user_id, k.idempotency_key LIMIT ${CHUNK} ${p.lock}
      ), step AS (${p.step}), ${p.also ? sql`also AS (${p.also}),` : sql``}
      tail AS (SELECT user_id, idempotency_key FROM r ORDER BY 1 DESC, 2 DESC LIMIT 1)
      SELECT (SELECT count(*)::int FROM step) AS n, t.user_id AS "userId",
        t.idempotency_key AS "key", pg_current_xact_id()::text AS "by"
      FROM tail t`,
    );
    if (!chunk) return by;
    by = BigInt(chunk.by);
    last = { userId: chunk.userId, key: chunk.key };
    p.done(chunk.n);
  }
}

/**
 * Moves the keys of months before `now`'s earliest current month from `usage_event_keys` (where
 * every new key is claimed, so its index should stay the size of a month or two: the write
 * cost of a grown ledger is that index's pages) to `usage_event_keys_past`, where claims look
 * first (`ledger-key.ts`). Safe beside writers, in three steps: each key is copied (its claim
 * row locked, so an erasure waits or is seen) and added to its user's filter of past keys in
 * the same transaction (`key-filter.ts`); once no statement that could have missed the copy
 * is left (`seenByAll`, waited for up to `waitMs`), the recent copy is deleted — until then a
 * retry finds the key in the recent table and claims nothing. Keys whose wait ran out stay in
 * both tables (still claimed once) and leave at the next run. Then the recent keys' index is
 * rebuilt (`REINDEX … CONCURRENTLY`). Prints its progress to `log`.
 */
export async function moveKeys(
  db: Db,
  params: { now: Date; waitMs?: number; log?: (line: string) => void },
): Promise<{ copied: number; removed: number }> {
  const log = params.log ?? (() => {});
  const before = pastBefore(params.now);
  const copied = progress(log, "past keys copied");
  const newest = await eachChunk(db, {
    where: sql`k.month < ${before}`,
    lock: sql`FOR KEY SHARE`,
    step: sql`INSERT INTO usagekit.usage_event_keys_past (user_id, idempotency_key, month)
      SELECT user_id, idempotency_key, month FROM r
      ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING 1`,
    also: addToFilters(sql`r`),
    done: copied.add,
  });
  copied.end();
  // No past key among the recent ones (the walk found none): nothing to wait for or delete.
  if (newest === 0n) return { copied: 0, removed: 0 };
  const deadline = Date.now() + (params.waitMs ?? 10_000);
  let horizon = 0n;
  for (;;) {
    const [row] = await queryRows<{ horizon: string }>(db, seenByAll);
    horizon = BigInt(row!.horizon);
    if (horizon > newest || Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (horizon <= newest) log("usagekit keys: older statements still run; keys stay in both tables");
  const removed = progress(log, "moved keys left the recent ones");
  await eachChunk(db, {
    where: sql`k.month < ${before}`,
    lock: sql``,
    step: sql`DELETE FROM usagekit.usage_event_keys k USING r, usagekit.usage_event_keys_past p
      WHERE k.user_id = r.user_id AND k.idempotency_key = r.idempotency_key
        AND p.user_id = r.user_id AND p.idempotency_key = r.idempotency_key
        AND p.month = r.month AND p.moved_by < ${horizon.toString()}::bigint
      RETURNING 1`,
    done: removed.add,
  });
  removed.end();
  // A deleted entry's index page is freed only once the page is empty: an index whose past
  // months left keeps their size, and a new key lands on any of its pages. Rebuilt the size of
  // what is left, beside writers.
  if (removed.n > 0) {
    await db.execute(
      sql`REINDEX INDEX CONCURRENTLY usagekit.usage_event_keys_user_id_idempotency_key_pk`,
    );
    log("usagekit keys: the recent keys' index rebuilt");
  }
  return { copied: copied.n, removed: removed.n };
}

/** A count of `what` printed to `log` at most every 2 s, and once at its end (when not 0). */
function progress(log: (line: string) => void, what: string) {
  let printed = Date.now();
  const line = () => log(`usagekit keys: ${counter.n.toLocaleString("en-US")} ${what}`);
  const counter = {
    n: 0,
    add: (n: number) => {
      counter.n += n;
      if (Date.now() - printed < 2000) return;
      printed = Date.now();
      line();
    },
    end: () => counter.n > 0 && line(),
  };
  return counter;
}

/**
 * A timer's step (`keepRollupsFresh`): moves the past keys at its first call and again once the
 * earliest current month has turned (its next start read from the database with each move, so
 * the ticks between ask nothing), one move at a time.
 */
export function keysMover(db: Db, log: (line: string) => void) {
  let nextTurn = 0;
  let moving = false;
  return async () => {
    if (moving || Date.now() < nextTurn) return;
    moving = true;
    try {
      const now = new Date();
      const [row] = await queryRows<{ ms: number }>(
        db,
        sql`SELECT (extract(epoch FROM ${monthEnd(pastBefore(now), LAST_ZONE)}) * 1000)::float8 AS "ms"`,
      );
      await moveKeys(db, { now, log });
      nextTurn = Number(row!.ms);
    } finally {
      moving = false;
    }
  };
}
