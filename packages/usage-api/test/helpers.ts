import { TRPCError } from "@trpc/server";
import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type postgres from "postgres";
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

/** The refusal a call is rejected with: FORBIDDEN, and its `limitExceeded`. */
export async function refusalOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await trpcError(promise);
  expect(error.code).toBe("FORBIDDEN");
  return (error.cause as unknown as { limitExceeded: unknown }).limitExceeded;
}

/**
 * How many rows every table holds, what the month rows sum to (as text: fuzzing records 2^31 - 1
 * at a time), the users' plans and when user and lifetime rows last changed: compared before and
 * after a call that must write nothing.
 */
export async function rowCounts(db: Db) {
  const [row] = await queryRows<{
    users: number;
    usage_events: number;
    monthly_usage: number;
    daily_activity: number;
    lifetime_stats: number;
    payments: number;
    limit_refusals: number;
    grants: number;
    monthly_sums: string;
    lifetime_updated: string | null;
    users_updated: string | null;
    plans: string;
  }>(
    db,
    sql`SELECT
      (SELECT count(*) FROM usagekit.users)::int AS users,
      (SELECT count(*) FROM usagekit.usage_events)::int AS usage_events,
      (SELECT count(*) FROM usagekit.monthly_usage)::int AS monthly_usage,
      (SELECT count(*) FROM usagekit.daily_activity)::int AS daily_activity,
      (SELECT count(*) FROM usagekit.lifetime_stats)::int AS lifetime_stats,
      (SELECT count(*) FROM usagekit.payments)::int AS payments,
      (SELECT count(*) FROM usagekit.limit_refusals)::int AS limit_refusals,
      (SELECT count(*) FROM usagekit.grants)::int AS grants,
      (SELECT coalesce(sum(seconds + conversations), 0)::text FROM usagekit.monthly_usage)
        AS monthly_sums,
      (SELECT max(updated_at)::text FROM usagekit.lifetime_stats) AS lifetime_updated,
      (SELECT max(updated_at)::text FROM usagekit.users) AS users_updated,
      (SELECT md5(coalesce(string_agg(id || ':' || tier || ':' || timezone, ',' ORDER BY id), ''))
        FROM usagekit.users) AS plans`,
  );
  return row!;
}

/**
 * The `runsOut` of `analytics.upgradeCandidates` a learner's own forecast (`usage.getForecast`)
 * implies: each feature whose pace reaches its limit this month, the soonest first.
 */
export const runsOutOf = (forecast: {
  features: Partial<
    Record<string, { limit: number; projected: number; reachesLimitOn: string | null }>
  >;
}) =>
  Object.entries(forecast.features)
    .flatMap(([feature, f]) =>
      f?.reachesLimitOn
        ? [{ feature, limit: f.limit, projected: f.projected, reachesLimitOn: f.reachesLimitOn }]
        : [],
    )
    .sort(
      (a, b) =>
        a.reachesLimitOn.localeCompare(b.reachesLimitOn) || a.feature.localeCompare(b.feature),
    );

/** Lock requests waiting in the connection's database (PostgreSQL): calls that reached a held lock. */
export const lockWaiters = async (admin: postgres.Sql) =>
  (
    await admin`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
      WHERE NOT l.granted AND a.datname = current_database()`
  )[0]!.n as number;
