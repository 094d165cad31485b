import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest, conflictError } from "../errors";
import type { Feature, Tiers } from "../limits/tiers";
import { instantOut } from "../calendar/local-month";
import { forecastsStale } from "../rollups/stale";

export interface GrantResult {
  grantId: string;
  feature: Feature;
  amount: number;
  remaining: number;
  expiresAt: Date | null;
}

/**
 * Grants `amount` of `feature` to a user (a top-up, a credit, a goodwill gesture): on top of the
 * tier's allowance, used after it (and after rollover), oldest-expiring first, across months,
 * until used up or `expiresAt`. Nothing about plans or months ever touches it. Idempotent by
 * `idempotencyKey` (the same grant is answered again; another payload under it is CONFLICT). A
 * user never seen is created (on the lowest tier, in UTC), as `setUserPlan` does.
 */
export async function grantUsage(
  db: Db,
  params: {
    userId: string;
    idempotencyKey: string;
    feature: Feature;
    amount: number;
    expiresAt?: Date;
    reason: string;
    now: Date;
    tiers: Tiers;
  },
): Promise<GrantResult> {
  const { userId, idempotencyKey, feature, amount, reason, now } = params;
  const expiresAt = params.expiresAt?.toISOString() ?? null;
  if (params.expiresAt && params.expiresAt <= now)
    throw badRequest("expiresAt: a grant must expire after now");
  const [row] = await queryRows<GrantResult & { reason: string; created: boolean }>(
    db,
    sql`
    WITH u AS (
      INSERT INTO usagekit.users (id) VALUES (${userId}::text) ON CONFLICT (id) DO NOTHING
    ), l AS (
      INSERT INTO usagekit.lifetime_stats (user_id) VALUES (${userId}::text) ON CONFLICT DO NOTHING
    ), g AS (
      INSERT INTO usagekit.grants (user_id, idempotency_key, feature, amount, remaining, expires_at,
        reason, created_at)
      VALUES (${userId}::text, ${idempotencyKey}, ${feature}, ${amount}, ${amount},
        ${expiresAt}::timestamptz, ${reason}, ${now.toISOString()}::timestamptz)
      ON CONFLICT (user_id, idempotency_key) DO NOTHING
      RETURNING *
    ), stale AS (
      ${forecastsStale(sql`SELECT user_id FROM g`)}
    ), k AS (
      SELECT *, true AS created FROM g
      UNION ALL
      SELECT *, false FROM usagekit.grants
      WHERE user_id = ${userId}::text AND idempotency_key = ${idempotencyKey}
    )
    SELECT id::text AS "grantId", feature, amount::float8 AS "amount",
      remaining::float8 AS "remaining", ${instantOut(sql`expires_at`)} AS "expiresAt",
      reason, created FROM k LIMIT 1`,
  );
  // A concurrent grant under the same key: its row was not visible yet, ours was not inserted.
  if (!row) return grantUsage(db, params);
  const { reason: kept, created, ...grant } = row;
  const same =
    grant.feature === feature &&
    grant.amount === amount &&
    kept === reason &&
    (grant.expiresAt?.toISOString() ?? null) === expiresAt;
  if (!created && !same) throw conflictError(idempotencyKey);
  return grant;
}
