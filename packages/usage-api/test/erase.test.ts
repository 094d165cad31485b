import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers, moveKeys } from "../src";
import { findDrift } from "../src/record/reconcile";
import { prepareNextDay } from "../src/rollups/next-day";
import { refreshRollups } from "../src/rollups/refresh";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

/** Rows about `userId` in every usagekit table, found through the catalog, not the code. */
async function rowsAbout(db: Db, userId: string): Promise<Record<string, number>> {
  const tables = await queryRows<{ table: string; column: string }>(
    db,
    sql`SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
      WHERE table_schema = 'usagekit' AND ((column_name = 'user_id')
        OR (table_name = 'users' AND column_name = 'id'))
        -- A partition's rows are counted in its parent's (the ledger's months).
        AND NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = table_schema AND c.relname = table_name AND c.relispartition) ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table, column } of tables) {
    const [row] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM ${sql.raw(`usagekit.${table}`)} WHERE ${sql.raw(column)} = ${userId}`,
    );
    counts[table] = row!.n;
  }
  return counts;
}

describe.each(dbKinds)("eraseUser on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 10 });
  const api = () => callerFor(suite.handle, { now: () => NOW });
  const driftOf = async (userId: string) =>
    (await findDrift(suite.handle.db, { tiers: defaultTiers, now: NOW })).filter((d) =>
      JSON.stringify(d).includes(userId),
    );

  /** A learner with a row in every table: usage in two months, a payment, a refusal, a live
   * session, a grant, alerts and months dropped by retention. */
  async function populated(userId: string) {
    const a = api().usage;
    await a.setUserPlan({ userId, tier: "free", timezone: "Asia/Tokyo" });
    await a.recordUsage({
      userId,
      idempotencyKey: "oct",
      conversations: 1,
      occurredAt: new Date("2026-10-10T12:00:00Z"),
    });
    await a.recordUsage({ userId, idempotencyKey: "e1", ankiExports: 3 });
    await a
      .recordUsage({ userId, idempotencyKey: "e2", ankiExports: 1, enforceLimits: true })
      .catch(() => null);
    await a.recordPayment({
      userId,
      tier: "free",
      amount: "4.99",
      paidAt: NOW,
      idempotencyKey: "p",
      kind: "topUp",
    });
    await a.grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "seconds",
      amount: 600,
      reason: "top-up",
    });
    await a.reserveUsage({ userId, idempotencyKey: "r", expiresInSeconds: 600, seconds: 60 });
    // A report folds their events into the analytics' rollups (their rows there are about them),
    // and one of this month keeps their forecast (3 exports of Free's 3: they run out today).
    await api().analytics.featureAdoption({ month: "2026-10" });
    await api().analytics.upgradeCandidates({ month: "2026-11" });
    // And made ahead for their next day (as the server's timer does before their midnight:
    // Tokyo's, 15:00 UTC).
    const { doneId } = await refreshRollups(suite.handle.db, { tiers: defaultTiers });
    const beforeMidnight = new Date("2026-11-15T14:57:00Z");
    await prepareNextDay(suite.handle.db, { tiers: defaultTiers, now: beforeMidnight, doneId });
    // Their October key moved to the past ones (as the server's timer does once a month).
    await moveKeys(suite.handle.db, { now: NOW });
    // What retention kept of a month it dropped (retention.test.ts makes these for real; here
    // with no totals, so the learner's rows still agree with their ledger).
    await suite.handle.db.execute(sql`INSERT INTO usagekit.ledger_retained (user_id, kept_from)
      VALUES (${userId}, '2026-03-01')`);
    await suite.handle.db
      .execute(sql`INSERT INTO usagekit.retained_overage (user_id, month, tier, feature, units)
      VALUES (${userId}, '2026-02-01', 'plus', 'seconds', 60)`);
  }

  it("removes every row about the user in every table, and nobody else's", async () => {
    const userId = newUserId();
    const other = newUserId();
    await populated(userId);
    await populated(other);
    // Their plans set again, after every report: their kept forecasts are marked stale.
    for (const id of [userId, other])
      await api().usage.setUserPlan({ userId: id, tier: "free", timezone: "Asia/Tokyo" });
    const before = await rowsAbout(suite.handle.db, userId);
    // Every table holds something of them (so that erasing proves something).
    expect(Object.entries(before).filter(([, n]) => n === 0)).toEqual([]);
    const otherBefore = await rowsAbout(suite.handle.db, other);
    expect(await api().usage.eraseUser({ userId })).toEqual({ erased: true });
    const after = await rowsAbout(suite.handle.db, userId);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(await rowsAbout(suite.handle.db, other)).toEqual(otherBefore);
    // They read as a user never seen; erasing again answers the same and writes nothing.
    expect(await api().usage.getLifetimeStats({ userId })).toMatchObject({
      totalConversations: 0,
      totalRevenue: "0.00",
      highestTierReached: "free",
    });
    expect(await api().usage.eraseUser({ userId })).toEqual({ erased: true });
    expect(await driftOf(other)).toEqual([]);
    // A key used before the erase is a new event afterwards: nothing of the user is kept.
    const again = await api().usage.recordUsage({ userId, idempotencyKey: "e1", ankiExports: 1 });
    expect(again).toMatchObject({ recorded: true, duplicate: false });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("is the service's alone, and a bad user id writes nothing", async () => {
    const userId = newUserId();
    await populated(userId);
    const before = await rowsAbout(suite.handle.db, userId);
    const learner = callerFor(suite.handle, { now: () => NOW, auth: { type: "user", userId } });
    expect((await trpcError(learner.usage.eraseUser({ userId }))).code).toBe("FORBIDDEN");
    const analyst = callerFor(suite.handle, { now: () => NOW, auth: { type: "analyst" } });
    expect((await trpcError(analyst.usage.eraseUser({ userId }))).code).toBe("FORBIDDEN");
    const bad = await trpcError(api().usage.eraseUser({ userId: "" }));
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("userId");
    expect(await rowsAbout(suite.handle.db, userId)).toEqual(before);
  });

  it("leaves a consistent user when writers race the erase: each write erased or recorded after", async () => {
    for (let round = 0; round < 20; round++) {
      const userId = newUserId();
      await populated(userId);
      const writes = Array.from({ length: 12 }, (_, i) => {
        const a = api().usage;
        if (i % 3 === 0)
          return a.recordUsageBatch({
            events: [{ userId, idempotencyKey: `b${i}`, conversations: 1 }],
          });
        return a.recordUsage({
          userId,
          idempotencyKey: `w${i}`,
          conversations: 1,
          enforceLimits: i % 3 === 1,
        });
      });
      const [erased, ...outcomes] = await Promise.allSettled([
        api().usage.eraseUser({ userId }),
        ...writes,
      ]);
      expect(erased.status).toBe("fulfilled");
      for (const o of outcomes) expect(o.status).toBe("fulfilled");
      // Whatever landed after the erase is a consistent new user: every total is its ledger.
      expect(await driftOf(userId)).toEqual([]);
      // The populated history is gone in every case; at most the racing writes remain.
      const [left] = await queryRows<{ keys: string[]; payments: number; grants: number }>(
        suite.handle.db,
        sql`SELECT coalesce((SELECT jsonb_agg(idempotency_key ORDER BY idempotency_key)
              FROM usagekit.usage_events WHERE user_id = ${userId}), '[]'::jsonb) AS keys,
            (SELECT count(*) FROM usagekit.payments WHERE user_id = ${userId})::int AS payments,
            (SELECT count(*) FROM usagekit.grants WHERE user_id = ${userId})::int AS grants`,
      );
      expect(left!.payments + left!.grants).toBe(0);
      for (const key of left!.keys) expect(key).toMatch(/^[bw]\d+$/);
    }
  });
});
