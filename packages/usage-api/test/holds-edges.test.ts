import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() + ms);

// Holds and grants at their edges: each was found by a mutation that every other test let through.
// Stored holds are only the live ones (expiring after now), checked against the reservations.
describe.each(dbKinds)("holds and grants at their edges on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 10 });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now }).usage;
  const db = () => suite.handle.db;
  /** A hold of `exports` Anki exports for `seconds`, made at `now`. */
  const reserve = (userId: string, key: string, seconds: number, exports: number, now = NOW) =>
    api(now).reserveUsage({
      userId,
      idempotencyKey: key,
      expiresInSeconds: seconds,
      ankiExports: exports,
    });
  const driftOf = async (userId: string, now = NOW) =>
    (await findDrift(db(), { tiers: defaultTiers, now })).filter((d) =>
      JSON.stringify(d).includes(userId),
    );
  /** The stored holds' ids, straight from users.holds. */
  const storedHoldIds = async (userId: string) =>
    (
      await queryRows<{ id: string }>(
        db(),
        sql`SELECT h ->> 'id' AS id FROM usagekit.users u, jsonb_array_elements(u.holds) h
          WHERE u.id = ${userId} ORDER BY (h ->> 'id') COLLATE "C"`,
      )
    ).map((r) => r.id);
  /** The reservations neither settled nor released that expire after `now`, from their table. */
  const liveIds = async (userId: string, now: Date) =>
    (
      await queryRows<{ id: string }>(
        db(),
        sql`SELECT id::text AS id FROM usagekit.reservations WHERE user_id = ${userId}
          AND settled_at IS NULL AND released_at IS NULL AND expires_at > ${now.toISOString()}::timestamptz
          ORDER BY id::text COLLATE "C"`,
      )
    ).map((r) => r.id);
  const reservationRow = async (id: string) =>
    (
      await queryRows<{ settled: boolean; released: boolean }>(
        db(),
        sql`SELECT settled_at IS NOT NULL AS settled, released_at IS NOT NULL AS released
          FROM usagekit.reservations WHERE id = ${id}::uuid`,
      )
    )[0]!;

  it("reconcile finds nothing about an unused grant", async () => {
    const userId = newUserId();
    await api().grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 5,
      reason: "top-up",
    });
    const [g] = await queryRows<{ used: number }>(
      db(),
      sql`SELECT (amount - remaining)::int AS used FROM usagekit.grants WHERE user_id = ${userId}`,
    );
    expect(g!.used).toBe(0);
    expect(await driftOf(userId)).toEqual([]);
  });

  it("refuses to release a settled reservation, and leaves it settled", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, "s", 600, 2);
    await api().settleReservation({ reservationId: hold.reservationId, ankiExports: 1 });
    const release = api().releaseReservation({ reservationId: hold.reservationId });
    const err = await trpcError(release);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toContain("reservationId: the reservation is settled");
    expect(await reservationRow(hold.reservationId)).toEqual({ settled: true, released: false });
    // Settling again still answers (idempotent), records nothing more.
    await api().settleReservation({ reservationId: hold.reservationId, ankiExports: 1 });
    const [l] = await queryRows<{ n: number; exports: number }>(
      db(),
      sql`SELECT count(*)::int AS n, coalesce(sum(anki_exports),0)::int AS exports
        FROM usagekit.usage_events WHERE user_id = ${userId}`,
    );
    expect(l).toEqual({ n: 1, exports: 1 });
  });

  it("reconcile does not resurrect a released hold", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, "s", 600, 2);
    await api().releaseReservation({ reservationId: hold.reservationId });
    expect(await reservationRow(hold.reservationId)).toEqual({ settled: false, released: true });
    expect(await storedHoldIds(userId)).toEqual([]);
    expect(await driftOf(userId)).toEqual([]);
    await repairDrift(db(), { tiers: defaultTiers, now: NOW });
    expect(await storedHoldIds(userId)).toEqual([]);
    expect(await api().canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      held: 0,
    });
  });

  it("repairs holds with only the reservations live at now (one expiring exactly now is dropped)", async () => {
    const userId = newUserId();
    const a = await reserve(userId, "a", 60, 1);
    const b = await reserve(userId, "b", 600, 1);
    await db().execute(sql`UPDATE usagekit.users SET holds = '[]'::jsonb WHERE id = ${userId}`);
    const now = at(60_000); // a expires exactly now
    expect(await liveIds(userId, now)).toEqual([b.reservationId]);
    await repairDrift(db(), { tiers: defaultTiers, now });
    expect(await storedHoldIds(userId)).toEqual([b.reservationId]);
    expect(await storedHoldIds(userId)).not.toContain(a.reservationId);
  });

  it("drops holds expired by now when a settle frees its own", async () => {
    const userId = newUserId();
    const a = await reserve(userId, "a", 600, 1);
    await reserve(userId, "b", 60, 1);
    const now = at(60_000); // b expires exactly now
    await api(now).settleReservation({ reservationId: a.reservationId, ankiExports: 1 });
    expect(await liveIds(userId, now)).toEqual([]);
    expect(await storedHoldIds(userId)).toEqual([]);
  });
  it.each([
    ["settled", "is settled"],
    ["released", "was released"],
  ] as const)("refuses to extend a %s reservation, and holds nothing for it", async (how, says) => {
    const userId = newUserId();
    const hold = await reserve(userId, "s", 600, 2);
    if (how === "settled")
      await api().settleReservation({ reservationId: hold.reservationId, ankiExports: 1 });
    else await api().releaseReservation({ reservationId: hold.reservationId });
    const extend = api().extendReservation({
      reservationId: hold.reservationId,
      idempotencyKey: "e1",
      ankiExports: 1,
      expiresInSeconds: 1200,
    });
    const err = await trpcError(extend);
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toContain(`reservationId: the reservation ${says}`);
    const [r] = await queryRows<{ exports: number; extensions: unknown }>(
      db(),
      sql`SELECT anki_exports::int AS exports, extensions FROM usagekit.reservations
        WHERE id = ${hold.reservationId}::uuid`,
    );
    expect(r).toEqual({ exports: 2, extensions: [] });
    expect(await storedHoldIds(userId)).toEqual([]);
    expect(await api().canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      held: 0,
    });
  });
  it("writes only the holds still live on a reserve, dropping one that expires exactly now", async () => {
    const userId = newUserId();
    await reserve(userId, "a", 60, 1);
    const now = at(60_000);
    const b = await reserve(userId, "b", 600, 1, now);
    expect(await liveIds(userId, now)).toEqual([b.reservationId]);
    expect(await storedHoldIds(userId)).toEqual([b.reservationId]);
  });
});
