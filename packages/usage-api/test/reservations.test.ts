import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { defaultTiers } from "../src";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { refusalOf, rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() + ms);
const MINUTE = 60_000;

describe.each(dbKinds)("live sessions: reserve → extend → settle, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 20 });
  /** A service caller whose clock reads `now`. */
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now }).usage;
  /** A hold of `amounts` for `seconds` under the key "s". */
  const reserve = (
    userId: string,
    amounts: { ankiExports?: number; realtimeSessions?: number },
    expiresInSeconds: number,
  ) => api().reserveUsage({ userId, idempotencyKey: "s", expiresInSeconds, ...amounts });
  /** The ledger itself: what was recorded for the user, per feature. */
  const ledger = async (userId: string) =>
    (
      await queryRows<{ n: number; exports: number; sessions: number; seconds: number }>(
        suite.handle.db,
        sql`SELECT count(*)::int AS n, coalesce(sum(anki_exports), 0)::int AS exports,
          coalesce(sum(realtime_sessions), 0)::int AS sessions,
          coalesce(sum(advanced_voice_seconds), 0)::int AS seconds
        FROM usagekit.usage_events WHERE user_id = ${userId}`,
      )
    )[0]!;

  it("holds against the limit in every read and enforced write until settled", async () => {
    const userId = newUserId();
    await api().setUserPlan({ userId, tier: "plus" });
    // Plus: 3,600 s of advanced voice. A 40-minute hold leaves 1,200 s.
    const hold = await api().reserveUsage({
      userId,
      idempotencyKey: "session-1",
      expiresInSeconds: 3600,
      advancedVoiceSeconds: 2400,
      realtimeSessions: 1,
    });
    expect(hold.expiresAt).toEqual(at(60 * MINUTE));
    expect(hold.held).toEqual({ advancedVoiceSeconds: 2400, realtimeSessions: 1 });
    const check = await api().canUseFeature({
      userId,
      feature: "advancedVoiceSeconds",
      amount: 1201,
    });
    expect(check).toMatchObject({ allowed: false, used: 0, held: 2400, remaining: 1200 });
    const current = await api().getCurrentUsage({ userId });
    expect(current.features.advancedVoiceSeconds).toEqual({
      used: 0,
      limit: 3600,
      remaining: 1200,
      held: 2400,
      rolledOver: 0,
      granted: 0,
    });
    expect(
      await refusalOf(
        api().recordUsage({ userId, advancedVoiceSeconds: 1201, enforceLimits: true }),
      ),
    ).toEqual({ feature: "advancedVoiceSeconds", used: 2400, limit: 3600, requested: 1201 });
    const batch = await api().recordUsageBatch({
      events: [
        { userId, advancedVoiceSeconds: 1200, enforceLimits: true },
        { userId, advancedVoiceSeconds: 1, enforceLimits: true },
      ],
    });
    expect(batch.results.map((r) => r.status)).toEqual(["recorded", "refused"]);
    // The same key again is the same reservation.
    const again = await api().reserveUsage({
      userId,
      idempotencyKey: "session-1",
      expiresInSeconds: 3600,
      advancedVoiceSeconds: 2400,
      realtimeSessions: 1,
    });
    expect(again.reservationId).toBe(hold.reservationId);
    // Settled at 1,500 s: recorded once, the hold freed; settling again records nothing more.
    const settled = await api(at(30 * MINUTE)).settleReservation({
      reservationId: hold.reservationId,
      advancedVoiceSeconds: 1500,
      realtimeSessions: 1,
    });
    expect(settled).toMatchObject({ recorded: true, duplicate: false });
    expect(settled.usage.advancedVoiceSeconds).toBe(2700);
    const twice = await api(at(31 * MINUTE)).settleReservation({
      reservationId: hold.reservationId,
      advancedVoiceSeconds: 1500,
      realtimeSessions: 1,
    });
    expect(twice).toMatchObject({ recorded: false, duplicate: true });
    expect(await ledger(userId)).toMatchObject({ n: 2, seconds: 2700, sessions: 1 });
    const after = await api(at(32 * MINUTE)).canUseFeature({
      userId,
      feature: "advancedVoiceSeconds",
      amount: 900,
    });
    expect(after).toMatchObject({ allowed: true, used: 2700, held: 0, remaining: 900 });
  });

  it("refuses an extension past the limit and takes one that fits", async () => {
    const userId = newUserId();
    // Free: 2 session extensions, 5 realtime sessions.
    const hold = await reserve(userId, { realtimeSessions: 1 }, 600);
    const extend = (key: string, sessionExtensions: number) =>
      api(at(5 * MINUTE)).extendReservation({
        reservationId: hold.reservationId,
        idempotencyKey: key,
        expiresInSeconds: 900,
        sessionExtensions,
      });
    expect(await refusalOf(extend("x1", 3))).toEqual({
      feature: "sessionExtensions",
      used: 0,
      limit: 2,
      requested: 3,
    });
    const extended = await extend("x2", 2);
    expect(extended.held).toEqual({ realtimeSessions: 1, sessionExtensions: 2 });
    // One hold, extended: not the old one and the new one side by side.
    expect(
      await api(at(5 * MINUTE)).canUseFeature({ userId, feature: "realtimeSessions" }),
    ).toMatchObject({ held: 1 });
    // The key of a reservation with other amounts is a CONFLICT, and makes no second one.
    const other = api().reserveUsage({
      userId,
      idempotencyKey: "s",
      expiresInSeconds: 600,
      realtimeSessions: 2,
    });
    expect((await trpcError(other)).code).toBe("CONFLICT");
    const [count] = await queryRows<{ n: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n FROM usagekit.reservations WHERE user_id = ${userId}`,
    );
    expect(count).toEqual({ n: 1 });
    expect(extended.expiresAt).toEqual(at(20 * MINUTE));
    // The same extension again changes nothing; another one no longer fits.
    expect(await extend("x2", 2)).toEqual(extended);
    expect((await refusalOf(extend("x3", 1))) as { used: number }).toMatchObject({ used: 2 });
  });

  it("stops counting an expired hold, and still settles it", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, { ankiExports: 3 }, 60);
    const refused = api().recordUsage({ userId, ankiExports: 1, enforceLimits: true });
    expect(await refusalOf(refused)).toMatchObject({ used: 3, limit: 3 });
    // At its expiry instant the hold no longer counts: not in a read, a write, or a batch.
    const expiry = at(60_000);
    expect(
      await api(expiry).canUseFeature({ userId, feature: "ankiExports", amount: 3 }),
    ).toMatchObject({ allowed: true, held: 0 });
    const stale = api(expiry).extendReservation({
      reservationId: hold.reservationId,
      idempotencyKey: "x0",
      ankiExports: 1,
    });
    expect((await trpcError(stale)).message).toContain("the reservation has expired");
    const fits = await api(expiry).recordUsageBatch({
      events: [{ userId, idempotencyKey: "b1", ankiExports: 1, enforceLimits: true }],
    });
    expect(fits.results[0]!.status).toBe("recorded");
    const one = await api(expiry).recordUsage({
      userId,
      idempotencyKey: "e1",
      ankiExports: 1,
      enforceLimits: true,
    });
    expect(one.recorded).toBe(true);
    await api(expiry).correctUsage({
      userId,
      idempotencyKey: "c1",
      correctsKey: "b1",
      reason: "test",
      ankiExports: 1,
    });
    await api(expiry).correctUsage({
      userId,
      idempotencyKey: "c2",
      correctsKey: "e1",
      reason: "test",
      ankiExports: 1,
    });
    // A minute later the hold has expired: nothing ran, and it no longer counts.
    const later = at(61_000);
    expect(
      await api(later).canUseFeature({ userId, feature: "ankiExports", amount: 3 }),
    ).toMatchObject({ allowed: true, held: 0 });
    const extend = api(later).extendReservation({
      reservationId: hold.reservationId,
      idempotencyKey: "x",
      ankiExports: 1,
    });
    expect((await trpcError(extend)).message).toContain(
      "reservationId: the reservation has expired",
    );
    const settled = await api(later).settleReservation({
      reservationId: hold.reservationId,
      ankiExports: 2,
    });
    expect(settled.usage.ankiExportsUsed).toBe(2);
    expect(await ledger(userId)).toMatchObject({ n: 5, exports: 2 });
  });

  it("releases a hold without recording, once", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, { ankiExports: 3 }, 600);
    expect(await api().releaseReservation({ reservationId: hold.reservationId })).toEqual({
      released: true,
    });
    expect(await api().releaseReservation({ reservationId: hold.reservationId })).toEqual({
      released: true,
    });
    expect(
      (await api().recordUsage({ userId, ankiExports: 3, enforceLimits: true })).recorded,
    ).toBe(true);
    const settle = api().settleReservation({ reservationId: hold.reservationId, ankiExports: 1 });
    expect((await trpcError(settle)).message).toContain(
      "reservationId: the reservation was released",
    );
    const unknown = api().releaseReservation({ reservationId: crypto.randomUUID() });
    expect((await trpcError(unknown)).code).toBe("BAD_REQUEST");
    expect(await ledger(userId)).toMatchObject({ n: 1, exports: 3 });
  });

  it("lets exactly as many concurrent reserves and enforced writes through as fit", async () => {
    const userId = newUserId();
    // Free: 5 realtime sessions. 8 reserves and 8 enforced writes of one each race.
    const calls = Array.from({ length: 16 }, (_, i) =>
      i % 2 === 0
        ? api().reserveUsage({
            userId,
            idempotencyKey: `r${i}`,
            expiresInSeconds: 600,
            realtimeSessions: 1,
          })
        : api().recordUsage({ userId, realtimeSessions: 1, enforceLimits: true }),
    );
    const outcomes = await Promise.allSettled(calls);
    const ok = outcomes.filter((o) => o.status === "fulfilled").length;
    expect(ok).toBe(5);
    for (const o of outcomes)
      if (o.status === "rejected") expect((o.reason as { code: string }).code).toBe("FORBIDDEN");
    // The database itself: recorded + held = 5.
    const [row] = await queryRows<{ recorded: number; held: number }>(
      suite.handle.db,
      sql`SELECT (SELECT coalesce(sum(realtime_sessions), 0) FROM usagekit.usage_events
          WHERE user_id = ${userId})::int AS recorded,
        (SELECT coalesce(sum(realtime_sessions), 0) FROM usagekit.reservations
          WHERE user_id = ${userId})::int AS held`,
    );
    expect(row!.recorded + row!.held).toBe(5);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("is for trusted backends only: end users and analysts are FORBIDDEN, and nothing is written", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, { ankiExports: 1 }, 600);
    await api().recordUsage({ userId, idempotencyKey: "e", ankiExports: 1 });
    const before = await rowCounts(suite.handle.db);
    const calls = (usage: ReturnType<typeof api>) => [
      usage.reserveUsage({ userId, idempotencyKey: "t", expiresInSeconds: 60, ankiExports: 1 }),
      usage.extendReservation({
        reservationId: hold.reservationId,
        idempotencyKey: "t",
        ankiExports: 1,
      }),
      usage.settleReservation({ reservationId: hold.reservationId, ankiExports: 1 }),
      usage.releaseReservation({ reservationId: hold.reservationId }),
      usage.correctUsage({
        userId,
        idempotencyKey: "c",
        correctsKey: "e",
        reason: "r",
        ankiExports: 1,
      }),
    ];
    const as = (auth: Parameters<typeof callerFor>[1]) =>
      callerFor(suite.handle, { now: () => NOW, ...auth }).usage;
    for (const [auth, code] of [
      [{ auth: { type: "user", userId } }, "FORBIDDEN"],
      [{ auth: { type: "analyst" } }, "FORBIDDEN"],
      [{ auth: { type: "anonymous" } }, "UNAUTHORIZED"],
    ] as const) {
      for (const call of calls(as(auth))) expect((await trpcError(call)).code).toBe(code);
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
  });

  it("keeps every total equal to the ledger after a random mix of all of it, concurrently", async () => {
    const users = [newUserId(), newUserId(), newUserId()];
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    const holds: string[] = [];
    const keys: { userId: string; key: string }[] = [];
    const step = async (i: number) => {
      const userId = users[random(users.length)]!;
      const later = at(random(20) * MINUTE);
      switch (random(6)) {
        case 0: {
          const r = await api().reserveUsage({
            userId,
            idempotencyKey: `r${i}`,
            expiresInSeconds: 60 * (1 + random(15)),
            realtimeSessions: 1,
            ankiExports: random(2),
          });
          holds.push(r.reservationId);
          return;
        }
        case 1:
          if (holds.length)
            await api(later).extendReservation({
              reservationId: holds[random(holds.length)]!,
              idempotencyKey: `x${i}`,
              sessionExtensions: 1,
            });
          return;
        case 2:
          if (holds.length)
            await api(later).settleReservation({
              reservationId: holds[random(holds.length)]!,
              realtimeSessions: 1,
              seconds: 60 * random(10) + 1,
            });
          return;
        case 3:
          if (holds.length)
            await api(later).releaseReservation({ reservationId: holds[random(holds.length)]! });
          return;
        case 4: {
          await api().recordUsage({
            userId,
            idempotencyKey: `e${i}`,
            ankiExports: 1,
            seconds: 120,
            enforceLimits: random(2) === 0,
          });
          keys.push({ userId, key: `e${i}` });
          return;
        }
        default: {
          const k = keys[random(Math.max(keys.length, 1))];
          if (k)
            await api().correctUsage({
              userId: k.userId,
              idempotencyKey: `c${i}`,
              correctsKey: k.key,
              reason: "random",
              seconds: 60,
            });
        }
      }
    };
    // Refusals and conflicts are answers too; anything else fails the test.
    const outcomes = await Promise.allSettled(Array.from({ length: 120 }, (_, i) => step(i)));
    for (const o of outcomes)
      if (o.status === "rejected")
        expect(["FORBIDDEN", "BAD_REQUEST", "CONFLICT"]).toContain(
          (o.reason as { code: string }).code,
        );
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
    // The live holds of each user are exactly its reservations neither settled nor released
    // (compared after the latest clock any call had: what a write dropped had expired by then).
    const last = at(20 * MINUTE).toISOString();
    const holdsDrift = await queryRows<{ userId: string }>(
      suite.handle.db,
      sql`SELECT u.id AS "userId" FROM usagekit.users u WHERE u.id IN (${sql.join(
        users.map((id) => sql`${id}`),
        sql`, `,
      )}) AND (SELECT coalesce(jsonb_agg(h ->> 'id' ORDER BY h ->> 'id'), '[]')
          FROM jsonb_array_elements(u.holds) h WHERE (h ->> 'expiresAt')::timestamptz > ${last}::timestamptz)
        IS DISTINCT FROM (SELECT coalesce(jsonb_agg(r.id::text ORDER BY r.id::text), '[]')
          FROM usagekit.reservations r WHERE r.user_id = u.id AND r.settled_at IS NULL
            AND r.released_at IS NULL AND r.expires_at > ${last}::timestamptz)`,
    );
    expect(holdsDrift).toEqual([]);
    // reconcile agrees, at that clock.
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers, now: at(20 * MINUTE) })).toEqual(
      [],
    );
  });

  it("lets exactly R of N concurrent reserves through when R fit", async () => {
    const userId = newUserId();
    // Free: 3 Anki exports. 10 reserves of one each, at once.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        api().reserveUsage({
          userId,
          idempotencyKey: `k${i}`,
          expiresInSeconds: 60,
          ankiExports: 1,
        }),
      ),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
    expect((await api().canUseFeature({ userId, feature: "ankiExports" })).held).toBe(3);
  });

  it("refuses bad input naming the field, and writes nothing", async () => {
    const userId = newUserId();
    const hold = await reserve(userId, { ankiExports: 1 }, 60);
    const before = await rowCounts(suite.handle.db);
    const cases: [Promise<unknown>, RegExp][] = [
      [
        api().reserveUsage({ userId, idempotencyKey: "b", expiresInSeconds: 0, ankiExports: 1 }),
        /^expiresInSeconds: /,
      ],
      [
        api().reserveUsage({
          userId,
          idempotencyKey: "b",
          expiresInSeconds: 86_401,
          ankiExports: 1,
        }),
        /^expiresInSeconds: /,
      ],
      [api().reserveUsage({ userId, idempotencyKey: "b", expiresInSeconds: 60 }), /^amounts: /],
      [
        api().extendReservation({
          reservationId: "not-an-id",
          idempotencyKey: "b",
          ankiExports: 1,
        }),
        /^reservationId: /,
      ],
      [
        api().extendReservation({ reservationId: hold.reservationId, idempotencyKey: "b" }),
        /^amounts: /,
      ],
      [api().settleReservation({ reservationId: hold.reservationId }), /^amounts: /],
      [
        api().correctUsage({
          userId,
          idempotencyKey: "b",
          correctsKey: "x",
          reason: "",
          ankiExports: 1,
        }),
        /^reason: /,
      ],
      [
        api().reserveUsage({
          userId,
          idempotencyKey: "b",
          expiresInSeconds: 60,
          ankiExports: -1,
        }),
        /^ankiExports: /,
      ],
    ];
    for (const [call, message] of cases) {
      const error = await trpcError(call);
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toMatch(message);
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
  });

  it("finds holds that are not the user's reservations, and repairs them from the reservations", async () => {
    const userId = newUserId();
    await reserve(userId, { ankiExports: 2 }, 600);
    const tiers = defaultTiers;
    const drift = () => findDrift(suite.handle.db, { tiers, now: NOW });
    const mine = async () => (await drift()).filter((d) => JSON.stringify(d).includes(userId));
    expect(await mine()).toEqual([]);
    await suite.handle.db.execute(
      sql`UPDATE usagekit.users SET holds = '[]'::jsonb WHERE id = ${userId}`,
    );
    expect(await api().canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      held: 0,
    });
    expect((await mine()).map((d) => d.table)).toEqual(["users"]);
    await repairDrift(suite.handle.db, { tiers, now: NOW });
    expect(await mine()).toEqual([]);
    expect(await api().canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      held: 2,
    });
  });
});
