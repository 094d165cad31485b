import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest } from "../errors";
import type { Feature, Tiers } from "../limits/tiers";
import { recordUsage } from "../record/record-usage";
import { inTransaction } from "../store/savepoint";
import { lockReservation } from "./store";

/** The idempotency key of a reservation's settled event (user keys never start with it). */
export const settleKey = (reservationId: string) => `usagekit:reservation:${reservationId}`;

/** Frees the reservation's hold: marks it settled or released and drops it from the user's. */
async function free(
  tx: Db,
  r: { userId: string; id: string },
  column: "settled_at" | "released_at",
  now: Date,
) {
  await tx.execute(sql`UPDATE usagekit.reservations SET ${sql.raw(column)} = now(), updated_at = now()
    WHERE user_id = ${r.userId}::text AND id = ${r.id}::uuid`);
  // The user's holds without this one (nor those expired by now), in place.
  await tx.execute(sql`UPDATE usagekit.users SET updated_at = now(), holds = (
      SELECT coalesce(jsonb_agg(h), '[]'::jsonb) FROM jsonb_array_elements(holds) h
      WHERE h ->> 'id' <> ${r.id} AND (h ->> 'expiresAt')::timestamptz > ${now.toISOString()}::timestamptz)
    WHERE id = ${r.userId}::text`);
}

/**
 * Records what a live session actually used as one event (unenforced: the service already
 * delivered it, past the hold if it must) and frees the hold, in one transaction. Idempotent:
 * settling again records nothing more and answers the event as `recordUsage` answers a
 * duplicate. A settle after the hold expired still records the usage.
 */
export async function settleReservation(
  db: Db,
  params: Partial<Record<Feature, number>> & { reservationId: string; now: Date; tiers: Tiers },
) {
  const { reservationId, now, tiers, ...amounts } = params;
  return inTransaction(db, async (tx) => {
    const r = await lockReservation(tx, tiers, reservationId);
    if (r.released) throw badRequest("reservationId: the reservation was released");
    const answer = await recordUsage(tx, {
      ...amounts,
      userId: r.userId,
      idempotencyKey: settleKey(r.id),
      enforceLimits: false,
      now,
      tiers,
    });
    if (!r.settled) await free(tx, r, "settled_at", now);
    return answer;
  });
}

/** Frees a live reservation's hold without recording anything. Releasing again is a no-op. */
export async function releaseReservation(
  db: Db,
  params: { reservationId: string; now: Date; tiers: Tiers },
) {
  return inTransaction(db, async (tx) => {
    const r = await lockReservation(tx, params.tiers, params.reservationId);
    if (r.settled) throw badRequest("reservationId: the reservation is settled");
    if (!r.released) await free(tx, r, "released_at", params.now);
    return { released: true as const };
  });
}
