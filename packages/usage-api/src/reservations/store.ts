import { queryRows } from "@usagekit/db";
import type { Db, Hold } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest } from "../errors";
import { lockUsers } from "../store/user-locks";
import { activeHolds, heldOf } from "../limits/holds";
import type { Feature, Tiers } from "../limits/tiers";
import { hardLimitsOf } from "../limits/allowance";
import { readUserMonth } from "../limits/user-month";
import { columnsOf } from "../store/columns";

/** A reservation as it is stored: what it holds, until when, and what became of it. */
export interface Reservation {
  userId: string;
  id: string;
  idempotencyKey: string;
  amounts: Record<Feature, number>;
  expiresAt: Date;
  extensions: string[];
  settled: boolean;
  released: boolean;
}

/** The answer of a reserve or an extension: the reservation, when it expires, what it holds. */
export const answerOf = (r: Pick<Reservation, "id" | "expiresAt" | "amounts">) => ({
  reservationId: r.id,
  expiresAt: r.expiresAt,
  held: Object.fromEntries(Object.entries(r.amounts).filter(([, n]) => n > 0)) as Partial<
    Record<Feature, number>
  >,
});

const selectReservation = (tiers: Tiers) => {
  const { eachFeature, ledgerCol } = columnsOf(tiers);
  return sql`SELECT user_id AS "userId", id::text AS "id", idempotency_key AS "idempotencyKey",
    jsonb_build_object(${eachFeature((f) => sql`${f}::text, ${ledgerCol(f)}`)}) AS "amounts",
    extract(epoch FROM expires_at) * 1000 AS "expiresMs", extensions AS "extensions",
    settled_at IS NOT NULL AS "settled", released_at IS NOT NULL AS "released"
    FROM usagekit.reservations`;
};

async function readReservation(tx: Db, tiers: Tiers, where: ReturnType<typeof sql>) {
  const [row] = await queryRows<Omit<Reservation, "expiresAt"> & { expiresMs: number }>(
    tx,
    sql`${selectReservation(tiers)} WHERE ${where} FOR UPDATE`,
  );
  if (!row) return undefined;
  const { expiresMs, ...rest } = row;
  return { ...rest, expiresAt: new Date(Number(expiresMs)) } as Reservation;
}

/**
 * Locks the user before a change of its holds: its row (made, with its lifetime row, if the user
 * is new), which an enforced write locks shared, so the two are judged against each other's
 * latest version; and the user's transaction lock (`lockUsers`), which an enforced batch takes.
 * Statements after it see every write committed before it.
 */
async function lockUser(tx: Db, userId: string) {
  await lockUsers(tx, [userId]);
  await tx.execute(sql`WITH u AS (
      INSERT INTO usagekit.users (id) VALUES (${userId}::text) ON CONFLICT (id) DO NOTHING
      RETURNING id
    ) INSERT INTO usagekit.lifetime_stats (user_id) SELECT id FROM u ON CONFLICT DO NOTHING`);
  await tx.execute(sql`SELECT 1 FROM usagekit.users WHERE id = ${userId}::text FOR UPDATE`);
}

/** The user's reservation under `key`, its user locked first (the order every writer takes). */
export async function lockReservationByKey(tx: Db, tiers: Tiers, userId: string, key: string) {
  await lockUser(tx, userId);
  return readReservation(tx, tiers, sql`user_id = ${userId}::text AND idempotency_key = ${key}`);
}

/** A reservation by its id, its user locked first; BAD_REQUEST naming the id when none has it. */
export async function lockReservation(tx: Db, tiers: Tiers, reservationId: string) {
  const [owner] = await queryRows<{ userId: string }>(
    tx,
    sql`SELECT user_id AS "userId" FROM usagekit.reservations WHERE id = ${reservationId}::uuid`,
  );
  if (!owner) throw badRequest(`reservationId: no reservation ${reservationId}`);
  await lockUser(tx, owner.userId);
  return (await readReservation(
    tx,
    tiers,
    sql`user_id = ${owner.userId}::text AND id = ${reservationId}::uuid`,
  ))!;
}

/**
 * What counts against the user's hard limits now: this month's usage and the active holds (all
 * of them), with the user's tier and holds. Read after the user is locked.
 */
export async function countedNow(tx: Db, params: { userId: string; now: Date; tiers: Tiers }) {
  const { features, monthlyField } = columnsOf(params.tiers);
  const m = await readUserMonth(tx, params.userId, params.now, params.tiers);
  const counted = Object.fromEntries(
    features.map((f) => [f, (m.usage?.[monthlyField[f]] ?? 0) + heldOf(m.holds, f, params.now)]),
  ) as Record<Feature, number>;
  const hard = hardLimitsOf(params.tiers, m.tier, m.allowance, params.now);
  return { tier: m.tier, holds: m.holds, counted, hard };
}

/** Writes the user's holds: the active ones of `holds` (expired ones are dropped here). */
export const writeHolds = (tx: Db, userId: string, holds: Hold[], now: Date) =>
  tx.execute(sql`UPDATE usagekit.users
    SET holds = ${JSON.stringify(activeHolds(holds, now))}::jsonb, updated_at = now()
    WHERE id = ${userId}::text`);

/** The hold of a reservation as `users.holds` keeps it. */
export const holdOf = (r: { id: string; expiresAt: Date; amounts: Record<string, number> }) => ({
  id: r.id,
  expiresAt: r.expiresAt.toISOString(),
  amounts: Object.fromEntries(Object.entries(r.amounts).filter(([, n]) => n > 0)),
});
