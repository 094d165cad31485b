import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest, conflictError, limitExceededError } from "../errors";
import { firstRefusal } from "../limits/holds";
import type { Feature, Tiers } from "../limits/tiers";
import { amountsOf } from "../record/results";
import { withRetries } from "../record/retry";
import { columnsOf } from "../store/columns";
import { inTransaction } from "../store/savepoint";
import {
  answerOf,
  countedNow,
  holdOf,
  lockReservation,
  lockReservationByKey,
  writeHolds,
} from "./store";

type Amounts = Partial<Record<Feature, number>>;
const SECOND = 1000;
const sameAmounts = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys({ ...a, ...b }).every((f) => (a[f] ?? 0) === (b[f] ?? 0));

/**
 * Holds `amounts` for a live session until it is settled, released or `expiresInSeconds` pass:
 * refused (FORBIDDEN with `limitExceeded`) exactly when the hold does not fit on top of what the
 * user used this month and holds already, atomically — the user's row is locked, and enforced
 * writes lock it too. Idempotent by `idempotencyKey`: the same reservation is answered again.
 */
export async function reserveUsage(
  db: Db,
  params: Amounts & {
    userId: string;
    idempotencyKey: string;
    expiresInSeconds: number;
    now: Date;
    tiers: Tiers;
  },
) {
  const { userId, idempotencyKey, now, tiers } = params;
  const c = columnsOf(tiers);
  const amounts = amountsOf(params, c.features);
  return withRetries(() =>
    inTransaction(db, async (tx) => {
      const known = await lockReservationByKey(tx, tiers, userId, idempotencyKey);
      if (known) {
        if (!sameAmounts(known.amounts, amounts)) throw conflictError(idempotencyKey);
        return answerOf(known);
      }
      const { holds, counted, hard } = await countedNow(tx, { userId, now, tiers });
      const refusal = firstRefusal(hard, c.features, counted, amounts);
      if (refusal) throw limitExceededError(refusal);
      const expiresAt = new Date(now.getTime() + params.expiresInSeconds * SECOND);
      const [row] = await queryRows<{ id: string }>(
        tx,
        sql`INSERT INTO usagekit.reservations (user_id, idempotency_key, expires_at,
          ${c.eachFeature(c.ledgerCol)})
        VALUES (${userId}::text, ${idempotencyKey}, ${expiresAt.toISOString()}::timestamptz,
          ${c.eachFeature((f) => sql`${amounts[f]}::int`)})
        RETURNING id::text AS "id"`,
      );
      const reservation = { id: row!.id, expiresAt, amounts };
      await writeHolds(tx, userId, [...holds, holdOf(reservation)], now);
      return answerOf(reservation);
    }),
  );
}

/**
 * Holds `amounts` more on a live reservation and, with `expiresInSeconds`, moves its expiry to
 * that long from now: refused exactly when the added hold does not fit, like a reserve.
 * Idempotent by `idempotencyKey`. A settled, released or expired reservation is BAD_REQUEST.
 */
export async function extendReservation(
  db: Db,
  params: Amounts & {
    reservationId: string;
    idempotencyKey: string;
    expiresInSeconds?: number;
    now: Date;
    tiers: Tiers;
  },
) {
  const { reservationId, idempotencyKey, now, tiers } = params;
  const c = columnsOf(tiers);
  const added = amountsOf(params, c.features);
  return withRetries(() =>
    inTransaction(db, async (tx) => {
      const r = await lockReservation(tx, tiers, reservationId);
      if (r.extensions.includes(idempotencyKey)) return answerOf(r);
      const state = r.settled
        ? "is settled"
        : r.released
          ? "was released"
          : r.expiresAt <= now
            ? "has expired"
            : null;
      if (state) throw badRequest(`reservationId: the reservation ${state}`);
      const { holds, counted, hard } = await countedNow(tx, { userId: r.userId, now, tiers });
      const refusal = firstRefusal(hard, c.features, counted, added);
      if (refusal) throw limitExceededError(refusal);
      const expiresAt =
        params.expiresInSeconds === undefined
          ? r.expiresAt
          : new Date(now.getTime() + params.expiresInSeconds * SECOND);
      const amounts = Object.fromEntries(
        c.features.map((f) => [f, r.amounts[f] + added[f]]),
      ) as Record<Feature, number>;
      await tx.execute(sql`UPDATE usagekit.reservations SET
        ${c.eachFeature((f) => sql`${c.ledgerCol(f)} = ${amounts[f]}::int`)},
        expires_at = ${expiresAt.toISOString()}::timestamptz,
        extensions = extensions || ${JSON.stringify([idempotencyKey])}::jsonb, updated_at = now()
        WHERE user_id = ${r.userId}::text AND id = ${r.id}::uuid`);
      const extended = { ...r, amounts, expiresAt };
      await writeHolds(
        tx,
        r.userId,
        [...holds.filter((h) => h.id !== r.id), holdOf(extended)],
        now,
      );
      return answerOf(extended);
    }),
  );
}
