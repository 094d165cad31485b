import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { unlessBusy } from "../store/error-codes";
import { fold } from "./fold";
import { refreshForecasts } from "./forecasts";
import { prepareNextDay } from "./next-day";
import { inHostTransaction } from "../store/savepoint";
import { keysMover } from "../record/move-keys";

/**
 * Ledger ids folded per transaction: short transactions, progress lines for a long backlog. The
 * first fold (or a rebuild) takes the whole ledger in one: written in key order at once, it is
 * several times faster than in chunks that each touch every part of the rollups' indexes.
 */
const CHUNK = 500_000;

/** The ledger's last id handed out (0: none yet); not a settled one (`settledId`). */
const lastIdSql = sql`SELECT CASE WHEN is_called THEN last_value ELSE 0 END::float8 AS n
  FROM usagekit.usage_events_id_seq`;

/**
 * The last ledger id such that every event with an id up to it is committed (or rolled back):
 * read while holding a SHARE lock on the ledger, which waits for the writes in flight (an id is
 * drawn inside a statement that holds the ledger's ROW EXCLUSIVE lock) and lets no new one start
 * until the id is read — a pause of the writers as long as the longest write in flight, at most
 * `waitMs`: past it, undefined (the fold waits for the next refresh).
 */
async function settledId(db: Db, waitMs: number): Promise<number | undefined> {
  return unlessBusy(
    db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${Math.round(waitMs)}ms'`));
      await tx.execute(sql`LOCK TABLE usagekit.usage_events IN SHARE MODE`);
      return (await queryRows<{ n: number }>(tx, lastIdSql))[0]!.n;
    }),
  );
}

/** The rollups' state: how far they are folded, and whether with these `features`. */
const stateSql = (features: SQL) =>
  sql`done_id::float8 AS "doneId", features IS NOT DISTINCT FROM ${features} AS "same"`;

/**
 * Summarizes the ledger's id ranges not summarized yet (BRIN: an unsummarized range is read by
 * every fold), before a long backlog — a ledger loaded in bulk, or folded for the first time.
 * Autovacuum summarizes filled ranges in steady state. Only an optimisation: a role that may not
 * summarize (not the tables' owner) folds all the same.
 */
async function summarizeLedgerIds(db: Db) {
  await db
    .execute(
      sql`SELECT brin_summarize_new_values(c.oid) FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam
      WHERE n.nspname = 'usagekit' AND c.relkind = 'i' AND a.amname = 'brin'`,
    )
    .catch(() => undefined);
}

export interface RollupRefresh {
  /** Ledger ids folded so far (every event with an id up to it is in the rollups). */
  doneId: number;
  /** Events to fold remain: the writes in flight did not settle within `waitMs`. */
  behind: boolean;
}

/**
 * Folds the ledger's new events into the analytics' rollups (`rollups/fold.ts`): every event
 * with an id up to the settled one, in chunks of ids, each its own transaction holding the
 * rollups' state row (one refresher at a time; erasure takes it too). Cheap when nothing is new
 * (two reads). When the catalog's features are not those the rollups were folded with, they are
 * rebuilt from the ledger first. `onProgress` gets a line per chunk of a long backlog. `behind`:
 * the writes in flight, or a fold in flight, did not let it go on within `waitMs` (2 s).
 */
export async function refreshRollups(
  db: Db,
  params: { tiers: Tiers; waitMs?: number; onProgress?: (line: string) => void },
): Promise<RollupRefresh> {
  const c = columnsOf(params.tiers);
  const features = sql`ARRAY[${sql.join(
    c.features.map((f) => sql`${f}::text`),
    sql`, `,
  )}]::text[]`;
  const [state] = await queryRows<{ doneId: number; same: boolean; last: number }>(
    db,
    sql`SELECT ${stateSql(features)}, (${lastIdSql}) AS "last" FROM usagekit.rollup_state`,
  );
  if (state!.same && state!.last <= state!.doneId) return { doneId: state!.doneId, behind: false };
  const waitMs = params.waitMs ?? 2_000;
  const settled = await settledId(db, waitMs);
  if (settled === undefined) return { doneId: state!.doneId, behind: true };
  const log = params.onProgress ?? (() => {});
  if (settled - state!.doneId > CHUNK) await summarizeLedgerIds(db);
  for (;;) {
    const step = await foldStep(db, { c, features, settled, waitMs, log });
    if (!step) return { doneId: state!.doneId, behind: true };
    if (step.doneId >= settled) return { doneId: step.doneId, behind: false };
  }
}

/**
 * One transaction of a refresh: the rollups' state row taken (waiting at most `waitMs` for a
 * fold in flight: undefined past it), then the next chunk of ids folded with no statement
 * timeout (a first fold can be long; it prints its steps).
 */
async function foldStep(
  db: Db,
  p: { c: Columns; features: SQL; settled: number; waitMs: number; log: (line: string) => void },
): Promise<{ doneId: number } | undefined> {
  return unlessBusy(
    db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${Math.round(p.waitMs)}ms'`));
      const [s] = await queryRows<{ doneId: number; same: boolean }>(
        tx,
        sql`SELECT ${stateSql(p.features)} FROM usagekit.rollup_state FOR UPDATE`,
      );
      await tx.execute(sql`SET LOCAL lock_timeout = 0`);
      await tx.execute(sql`SET LOCAL statement_timeout = 0`);
      let from = s!.doneId;
      if (!s!.same) {
        // Folded with other features (bits and totals by position): rebuilt from the ledger.
        for (const t of ["rollup_months", "rollup_groups", "rollup_seconds", "rollup_cohorts"])
          await tx.execute(sql.raw(`DELETE FROM usagekit.${t}`));
        from = 0;
      }
      const to = from === 0 ? p.settled : Math.min(from + CHUNK, p.settled);
      const long = to - from > CHUNK || p.settled - from > CHUNK;
      if (to - from > CHUNK) p.log(`rollups: folding the ledger's ids up to ${to} at once`);
      if (to > from) await fold(tx, p.c, from, to, to - from > CHUNK ? p.log : undefined);
      const doneId = Math.max(to, from);
      await tx.execute(sql`UPDATE usagekit.rollup_state SET done_id = ${doneId},
        features = ${p.features}, refreshed_at = now()`);
      if (long && to > from) p.log(`rollups: folded ledger ids up to ${to} of ${p.settled}`);
      return { doneId };
    }),
  );
}

/**
 * Before a report from the rollups: on the primary, the ledger's settled events are folded first,
 * so the answer is exact as of the call. On a replica (which cannot write) they are as the last
 * refresh of the primary left them (`keepRollupsFresh`); inside a host's open transaction they
 * are not folded either (the settling lock would be held until the host commits). `forecasts`:
 * the kept forecasts are brought up to date with them and the call's clock too.
 */
export async function foldBeforeReport(
  ctx: { db: Db; readDb?: Db; tiers: Tiers; now: () => Date },
  forecasts = false,
) {
  if (ctx.readDb || inHostTransaction(ctx.db)) return;
  const { doneId } = await refreshRollups(ctx.db, { tiers: ctx.tiers });
  if (forecasts) await refreshForecasts(ctx.db, { tiers: ctx.tiers, now: ctx.now(), doneId });
}

/**
 * Refreshes the rollups, then the kept forecasts, every `everyMs` (a standalone server's timer,
 * unref'd), one refresh at a time; a failure is handed to `onError` and the next tick tries again.
 * After a refresh, the forecasts of the zones whose local day turns within five minutes are made
 * for their new day (`prepareNextDay`: a minute at a million learners), beside the next ticks'
 * refreshes, not in their way. Beside them too, the past months' idempotency keys are moved out
 * of the recent ones once a month (`moveKeys`). Returns the stop.
 */
export function keepRollupsFresh(
  db: Db,
  params: {
    tiers: Tiers;
    everyMs: number;
    onError: (error: unknown) => void;
    onProgress?: (line: string) => void;
  },
) {
  let running = false;
  let preparing = false;
  const moveKeys = keysMover(db, params.onProgress ?? (() => {}));
  const timer = setInterval(() => {
    moveKeys().catch(params.onError);
    if (running) return;
    running = true;
    refreshRollups(db, params)
      .then(async ({ doneId }) => {
        await refreshForecasts(db, { tiers: params.tiers, now: new Date(), doneId });
        if (preparing) return;
        preparing = true;
        prepareNextDay(db, { tiers: params.tiers, now: new Date(), doneId })
          .catch(params.onError)
          .finally(() => (preparing = false));
      })
      .catch(params.onError)
      .finally(() => (running = false));
  }, params.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
