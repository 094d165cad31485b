import { TRPCError } from "@trpc/server";
import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { expect } from "vitest";

/** The TRPCError a promise rejects with. */
export async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

/** How many rows every table holds: compared before and after a call that must write nothing. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const [row] = await queryRows<Record<string, number>>(
    db,
    sql`SELECT
      (SELECT count(*) FROM usagekit.users)::int AS users,
      (SELECT count(*) FROM usagekit.usage_events)::int AS usage_events,
      (SELECT count(*) FROM usagekit.monthly_usage)::int AS monthly_usage,
      (SELECT count(*) FROM usagekit.daily_activity)::int AS daily_activity,
      (SELECT count(*) FROM usagekit.lifetime_stats)::int AS lifetime_stats,
      (SELECT count(*) FROM usagekit.payments)::int AS payments,
      (SELECT count(*) FROM usagekit.limit_refusals)::int AS limit_refusals,
      (SELECT coalesce(sum(seconds), 0)::int FROM usagekit.monthly_usage) AS monthly_seconds`,
  );
  return row!;
}
