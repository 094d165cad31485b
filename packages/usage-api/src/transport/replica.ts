import { randomUUID } from "node:crypto";
import type { Db } from "@usagekit/db";
import type { ErrorLogger } from "./masking";
import { codesOf } from "../store/error-codes";

/**
 * The replica could not answer, whatever the query: it is down or unreachable (no SQLSTATE, or
 * class 08), shutting down or restarting (57P0x), out of resources (53), or it cancelled the read
 * for a conflict with recovery (40001 on a standby).
 */
function unreachable(error: unknown): boolean {
  const sqlState = codesOf(error).find((c) => /^[0-9A-Z]{5}$/.test(c));
  return sqlState === undefined || /^(08|57P0|53|40001)/.test(sqlState);
}

/**
 * A read that may lag (the analytics) on the streaming replica when there is one; when the
 * replica cannot answer, on the primary — logged, so an operator sees it. Lag itself is not
 * checked: the replica answers what it has replayed.
 */
export async function onReplica<T>(
  ctx: { db: Db; readDb?: Db; logError: ErrorLogger },
  run: (db: Db) => Promise<T>,
): Promise<T> {
  if (!ctx.readDb) return run(ctx.db);
  try {
    return await run(ctx.readDb);
  } catch (error) {
    if (!unreachable(error)) throw error;
    ctx.logError({ errorId: randomUUID(), path: "replica: answered by the primary", error });
    return run(ctx.db);
  }
}
