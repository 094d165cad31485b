import { usagekitTableNames } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { withRetries } from "../record/retry";
import { inTransaction } from "../store/savepoint";
import { lockUsers } from "../store/user-locks";

/**
 * Erases a user: every row about them — the ledger, months, days, lifetime, payments, refusals,
 * reservations, grants, alerts and the user row — in one transaction. The user's rows are locked
 * first in the order writers take them (the user's transaction lock, the user row, then month,
 * day and lifetime rows; then the rollups' state, which a fold holds), so a write in flight either finishes before and is erased with the
 * rest, or waits and is recorded after, for a user then new. A deadlock with such a writer is
 * retried. Idempotent: erasing an unknown or erased user answers the same.
 */
export async function eraseUser(db: Db, params: { userId: string }) {
  const id = sql`${params.userId}::text`;
  await withRetries(() =>
    inTransaction(db, async (tx) => {
      await lockUsers(tx, [params.userId]);
      await tx.execute(sql`SELECT 1 FROM usagekit.users WHERE id = ${id} FOR UPDATE`);
      for (const [table, order] of [
        ["monthly_usage", "month"],
        ["daily_activity", "day"],
        ["lifetime_stats", "user_id"],
        // A key being moved to the past ones is locked by the move: the move commits first.
        ["usage_event_keys", "idempotency_key"],
      ] as const)
        await tx.execute(sql`SELECT 1 FROM ${sql.raw(`usagekit.${table}`)} WHERE user_id = ${id}
          ORDER BY ${sql.raw(order)} FOR UPDATE`);
      // No fold of the rollups, refresh of the forecasts or day made ahead in flight (each
      // could write the user's rows back): they hold these rows while they run.
      for (const state of ["rollup_state", "forecast_state", "forecast_next_state"])
        await tx.execute(sql`SELECT 1 FROM ${sql.raw(`usagekit.${state}`)} FOR SHARE`);
      // One statement, after the locks: it sees every row committed before them.
      const deletes = usagekitTableNames.map(
        (t, i) =>
          sql`${sql.raw(`d${i}`)} AS (DELETE FROM ${sql.raw(`usagekit.${t}`)}
            WHERE ${sql.raw(t === "users" ? "id" : "user_id")} = ${id})`,
      );
      await tx.execute(sql`WITH ${sql.join(deletes, sql`, `)} SELECT 1`);
    }),
  );
  return { erased: true as const };
}
