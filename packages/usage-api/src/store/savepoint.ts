import type { Db } from "@usagekit/db";
import { PgTransaction } from "drizzle-orm/pg-core";

/** Whether `db` is a host's open transaction (not a database of usagekit's own). */
export const inHostTransaction = (db: Db) => db instanceof PgTransaction;

/**
 * Runs `work` so that its failure cannot poison the caller's transaction: when `db` is a host's
 * open transaction, inside a savepoint (a refused or conflicting statement rolls back to it and
 * the host's transaction goes on); on a plain database, as is — each statement is its own
 * transaction there, so no round trips are added to the hot path.
 */
export function inSavepoint<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  return inHostTransaction(db) ? db.transaction((savepoint) => work(savepoint)) : work(db);
}

/** A transaction of its own, or a savepoint inside the host's open transaction. */
export const inTransaction = <T>(db: Db, work: (tx: Db) => Promise<T>) =>
  db.transaction((tx) => work(tx as unknown as Db));
