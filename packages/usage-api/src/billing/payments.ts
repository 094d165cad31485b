import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { assertNotFuture } from "../calendar/window";
import { conflictError } from "../errors";
import type { RecordPaymentInput } from "../schemas";
import type { TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { instant, localMonth } from "../calendar/local-month";

export interface PaymentResult {
  recorded: boolean;
  duplicate: boolean;
  totalRevenue: string;
  monthsSubscribed: number;
  highestTierReached: TierName;
}

/**
 * Records a payment once per idempotency key; it pays for the local month it falls in. Revenue
 * and months subscribed are recomputed from the payments table under the user's row lock, so
 * they always equal what the payments imply (a top-up adds revenue, not a month subscribed).
 * The current tier is not changed.
 */
export async function recordPayment(
  db: Db,
  params: RecordPaymentInput & { now: Date; tiers: Tiers },
): Promise<PaymentResult> {
  const { defaultTierSql, raiseHighestTier, tierRankSql } = columnsOf(params.tiers);
  assertNotFuture("paidAt", params.paidAt, params.now);
  const id = sql`${params.userId}::text`;
  return db.transaction(async (tx) => {
    // A user never seen is created here; a refused payment rolls it back with everything else.
    await tx.execute(
      sql`INSERT INTO usagekit.users (id) VALUES (${id}) ON CONFLICT (id) DO NOTHING`,
    );
    const [row] = await queryRows<{ recorded: boolean }>(
      tx as unknown as Db,
      sql`
      WITH u AS (SELECT id, timezone FROM usagekit.users WHERE id = ${id} FOR UPDATE),
      p AS (
        INSERT INTO usagekit.payments (user_id, idempotency_key, tier, amount, paid_at, kind, month)
        SELECT id, ${params.idempotencyKey}, ${params.tier}, ${params.amount}::numeric(12, 2),
          ${params.paidAt.toISOString()}::timestamptz, ${params.kind},
          ${localMonth(instant(params.paidAt), sql`timezone`)}
        FROM u
        ON CONFLICT (user_id, idempotency_key) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM p)::int > 0 AS "recorded"`,
    );
    if (!row!.recorded) {
      // A new statement sees the payment that holds the key; another payload is a CONFLICT.
      const [same] = await queryRows<{ same: boolean }>(
        tx as unknown as Db,
        sql`SELECT tier = ${params.tier} AND amount = ${params.amount}::numeric
            AND paid_at = ${params.paidAt.toISOString()}::timestamptz AND kind = ${params.kind} AS "same"
          FROM usagekit.payments WHERE user_id = ${id} AND idempotency_key = ${params.idempotencyKey}`,
      );
      if (!same?.same) throw conflictError(params.idempotencyKey);
    }
    // A new statement sees every committed payment (and the one above); the row lock keeps
    // concurrent payments for this user out until we commit.
    const [totals] = await queryRows<Omit<PaymentResult, "recorded" | "duplicate">>(
      tx as unknown as Db,
      sql`
      INSERT INTO usagekit.lifetime_stats AS l (user_id, total_revenue, months_subscribed, highest_tier_reached)
      SELECT ${id}, coalesce(sum(amount), 0), count(DISTINCT month) FILTER (WHERE kind = 'subscription'),
        coalesce((array_agg(tier ORDER BY ${tierRankSql("tier")} DESC))[1], ${defaultTierSql})
      FROM usagekit.payments WHERE user_id = ${id}
      ON CONFLICT (user_id) DO UPDATE SET total_revenue = excluded.total_revenue,
        months_subscribed = excluded.months_subscribed, ${raiseHighestTier}
      RETURNING total_revenue::text AS "totalRevenue", months_subscribed AS "monthsSubscribed",
        highest_tier_reached AS "highestTierReached"`,
    );
    const recorded = Boolean(row?.recorded);
    return { recorded, duplicate: !recorded, ...totals! };
  });
}
