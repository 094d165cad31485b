import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller, createTRPCContext, defaultTiers, keepRollupsFresh, moveKeys } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

type Suite = ReturnType<typeof useTestDb>;

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const NOW = new Date("2026-11-15T12:00:00Z");
const OCTOBER = new Date("2026-10-20T08:00:00Z");

/** Where the database holds a user's keys: recent and past, each as `key month`, sorted. */
async function keysOf(db: Db, userId: string) {
  const where = (table: string) =>
    queryRows<{ k: string }>(
      db,
      sql`SELECT idempotency_key || ' ' || to_char(month, 'YYYY-MM') AS k
        FROM ${sql.raw(`usagekit.${table}`)} WHERE user_id = ${userId} ORDER BY 1`,
    ).then((rows) => rows.map((r) => r.k));
  return { recent: await where("usage_event_keys"), past: await where("usage_event_keys_past") };
}

/** The user's ledger rows under `key` (the database's own count). */
const ledgerRows = async (db: Db, userId: string, key: string) =>
  (
    await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM usagekit.usage_events
        WHERE user_id = ${userId} AND idempotency_key = ${key}`,
    )
  )[0]!.n;

const serviceOn = (db: Db) =>
  createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => NOW })).usage;

/** A learner with two October events and one November event, each keyed; past keys moved. */
async function learnerMoved(suite: Suite) {
  const api = suite.api.usage;
  const userId = newUserId();
  await api.setUserPlan({ userId, tier: "plus", timezone: "Pacific/Kiritimati" });
  await api.recordUsage({ userId, idempotencyKey: "oct-1", seconds: 60, occurredAt: OCTOBER });
  await api.recordUsage({ userId, idempotencyKey: "oct-2", ankiExports: 1, occurredAt: OCTOBER });
  await api.recordUsage({ userId, idempotencyKey: "nov-1", conversations: 1 });
  expect((await keysOf(suite.handle.db, userId)).past).toEqual([]);
  await moveKeys(suite.handle.db, { now: NOW });
  return userId;
}

describe.each(dbKinds)("past months' keys on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 6 });

  it("moves the keys of past months only, and a retry of one in any month is still a duplicate", async () => {
    const api = suite.api.usage;
    const userId = await learnerMoved(suite);
    expect(await keysOf(suite.handle.db, userId)).toEqual({
      recent: ["nov-1 2026-11"],
      past: ["oct-1 2026-10", "oct-2 2026-10"],
    });
    const october = await api.getUsageHistory({ userId });
    const single = await api.recordUsage({ userId, idempotencyKey: "oct-1", seconds: 60 });
    expect(single).toMatchObject({ recorded: false, duplicate: true });
    const batch = await api.recordUsageBatch({
      events: [
        { userId, idempotencyKey: "oct-2", ankiExports: 1, occurredAt: OCTOBER },
        { userId, idempotencyKey: "nov-1", conversations: 1 },
        { userId, idempotencyKey: "nov-2", conversations: 1 },
      ],
    });
    expect(batch.results.map((r) => r.status)).toEqual(["duplicate", "duplicate", "recorded"]);
    // The same key with another payload is a conflict, moved or not.
    const conflict = await trpcError(
      api.recordUsage({ userId, idempotencyKey: "oct-1", seconds: 61, occurredAt: OCTOBER }),
    );
    expect(conflict.code).toBe("CONFLICT");
    for (const key of ["oct-1", "oct-2", "nov-1", "nov-2"])
      expect(await ledgerRows(suite.handle.db, userId, key)).toBe(1);
    const after = await api.getUsageHistory({ userId });
    expect(after.find((m) => m.month === "2026-10")).toEqual(
      october.find((m) => m.month === "2026-10"),
    );
    expect(await keysOf(suite.handle.db, userId)).toEqual({
      recent: ["nov-1 2026-11", "nov-2 2026-11"],
      past: ["oct-1 2026-10", "oct-2 2026-10"],
    });
    // A second run has nothing left to move.
    expect(await moveKeys(suite.handle.db, { now: NOW })).toEqual({ copied: 0, removed: 0 });
  });

  it("corrects an event under a moved key, once", async () => {
    const api = suite.api.usage;
    const userId = await learnerMoved(suite);
    const correction = { userId, idempotencyKey: "fix-1", correctsKey: "oct-1", seconds: 20 };
    const first = await api.correctUsage({ ...correction, reason: "dropped call" });
    const again = await api.correctUsage({ ...correction, reason: "dropped call" });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ month: "2026-10", seconds: 40 });
    const [row] = await queryRows<{ corrections: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS corrections FROM usagekit.usage_events
        WHERE user_id = ${userId} AND corrects_key = 'oct-1'`,
    );
    expect(row).toEqual({ corrections: 1 });
  });

  it("reconcile reads both tables: a past key lost or stray is drift, repaired among the recent", async () => {
    const db = suite.handle.db;
    const userId = await learnerMoved(suite);
    expect(
      (await findDrift(db, { tiers: defaultTiers })).filter((d) => d.table === "usage_event_keys"),
    ).toEqual([]);
    await db.execute(sql`DELETE FROM usagekit.usage_event_keys_past
      WHERE user_id = ${userId} AND idempotency_key = 'oct-1'`);
    await db.execute(sql`INSERT INTO usagekit.usage_event_keys_past (user_id, idempotency_key, month)
      VALUES (${userId}, 'stray', '2026-09-01')`);
    const drift = (await findDrift(db, { tiers: defaultTiers })).filter(
      (d) => d.table === "usage_event_keys",
    );
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          expected: null,
          actual: expect.objectContaining({ idempotency_key: "stray" }),
        }),
        expect.objectContaining({
          expected: expect.objectContaining({ idempotency_key: "oct-1" }),
          actual: null,
        }),
        // The stray key, put among the past ones by hand, is not in the learner's filter.
        expect.objectContaining({
          expected: expect.objectContaining({
            user_id: userId,
            past_keys_filter: expect.any(String),
          }),
        }),
      ]),
    );
    expect(drift).toHaveLength(3);
    await repairDrift(db, { tiers: defaultTiers });
    expect(await findDrift(db, { tiers: defaultTiers })).toEqual([]);
    expect(await keysOf(db, userId)).toEqual({
      recent: ["nov-1 2026-11", "oct-1 2026-10"],
      past: ["oct-2 2026-10"],
    });
    expect(
      (await suite.api.usage.recordUsage({ userId, idempotencyKey: "oct-1", seconds: 60 }))
        .duplicate,
    ).toBe(true);
  });

  it("erases a learner's past keys with the rest", async () => {
    const userId = await learnerMoved(suite);
    await suite.api.usage.eraseUser({ userId });
    expect(await keysOf(suite.handle.db, userId)).toEqual({ recent: [], past: [] });
  });

  it("claims a new key once and answers a moved one as a duplicate, whatever the filter says", async () => {
    // 300 moved keys set ~70 % of the learner's filter: about a fifth of new keys find all
    // their bits set and are looked for among the past keys, the rest are not.
    const db = suite.handle.db;
    const api = suite.api.usage;
    const userId = newUserId();
    const old = Array.from({ length: 300 }, (_, i) => `old-${i}`);
    const fresh = Array.from({ length: 100 }, (_, i) => `new-${i}`);
    const event = (key: string) => ({
      userId,
      idempotencyKey: key,
      seconds: 1,
      occurredAt: OCTOBER,
    });
    await api.recordUsageBatch({ events: old.map(event) });
    await moveKeys(db, { now: NOW });
    const [filter] = await queryRows<{ set: number }>(
      db,
      sql`SELECT bit_count(bits)::int AS set FROM usagekit.usage_event_keys_past_filter
        WHERE user_id = ${userId}`,
    );
    expect(filter!.set).toBeGreaterThan(600);
    const mixed = old.flatMap((key, i) => (i < 100 ? [key, fresh[i]!] : [key]));
    const { results } = await api.recordUsageBatch({ events: mixed.map(event) });
    expect(results.map((r) => r.status)).toEqual(
      mixed.map((key) => (key.startsWith("old") ? "duplicate" : "recorded")),
    );
    expect(await api.recordUsage(event("new-single"))).toMatchObject({ recorded: true });
    expect(await api.recordUsage(event("old-299"))).toMatchObject({ duplicate: true });
    const [ledger] = await queryRows<{ keys: number; rows: number }>(
      db,
      sql`SELECT count(DISTINCT idempotency_key)::int AS keys, count(*)::int AS rows
        FROM usagekit.usage_events WHERE user_id = ${userId}`,
    );
    expect(ledger).toEqual({ keys: 401, rows: 401 });
  });

  it("reconcile finds a filter that lacks a past key, and mends it", async () => {
    const db = suite.handle.db;
    const userId = await learnerMoved(suite);
    await db.execute(sql`UPDATE usagekit.usage_event_keys_past_filter
      SET bits = repeat('0', 1024)::bit(1024) WHERE user_id = ${userId}`);
    const drift = await findDrift(db, { tiers: defaultTiers });
    expect(drift).toEqual([
      expect.objectContaining({
        table: "usage_event_keys",
        expected: expect.objectContaining({ user_id: userId }),
        actual: { user_id: userId, past_keys_filter: "0".repeat(1024) },
      }),
    ]);
    await repairDrift(db, { tiers: defaultTiers });
    expect(await findDrift(db, { tiers: defaultTiers })).toEqual([]);
    const retry = { userId, idempotencyKey: "oct-2", ankiExports: 1, occurredAt: OCTOBER };
    expect(await suite.api.usage.recordUsage(retry)).toMatchObject({ duplicate: true });
    expect(await ledgerRows(db, userId, "oct-2")).toBe(1);
  });

  it("the rollups' timer moves them on its own (its clock is the system's: a key of 2019 is past)", async () => {
    const db = suite.handle.db;
    const userId = newUserId();
    const then = createCaller(
      createTRPCContext({
        db,
        auth: { type: "service" },
        now: () => new Date("2020-01-15T12:00:00Z"),
      }),
    ).usage;
    await then.recordUsage({
      userId,
      idempotencyKey: "old",
      seconds: 5,
      occurredAt: new Date("2019-12-20T08:00:00Z"),
    });
    const errors: unknown[] = [];
    const stop = keepRollupsFresh(db, {
      tiers: defaultTiers,
      everyMs: 50,
      onError: (e) => errors.push(e),
    });
    try {
      for (let i = 0; i < 100 && (await keysOf(db, userId)).recent.length > 0; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop();
    }
    expect(errors).toEqual([]);
    expect(await keysOf(db, userId)).toEqual({ recent: [], past: ["old 2019-12"] });
  });
});

/** Moves racing a host's old snapshot and retries: on the real server only. */
describe.runIf(DATABASE_URL)("past months' keys on postgres, beside other sessions", () => {
  const suite = useTestDb("postgres", { now: NOW, max: 6 });

  it("keeps a moved key in the recent ones while an older snapshot could claim it, then moves it", async () => {
    const db = suite.handle.db;
    const userId = await learnerMoved(suite);
    await suite.api.usage.recordUsage({
      userId,
      idempotencyKey: "oct-3",
      seconds: 5,
      occurredAt: OCTOBER,
    });
    let taken!: () => void;
    let release!: () => void;
    const snapshotTaken = new Promise<void>((resolve) => (taken = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    // A host's repeatable-read transaction whose snapshot predates the move retries the key.
    const host = db.transaction(
      async (tx) => {
        await tx.execute(sql`SELECT 1`);
        taken();
        await released;
        return serviceOn(tx as unknown as Db).recordUsage({
          userId,
          idempotencyKey: "oct-3",
          seconds: 5,
          occurredAt: OCTOBER,
        });
      },
      { isolationLevel: "repeatable read" },
    );
    await snapshotTaken;
    const lines: string[] = [];
    const held = await moveKeys(db, { now: NOW, waitMs: 300, log: (l) => lines.push(l) });
    expect(held).toEqual({ copied: 1, removed: 0 });
    expect(lines).toContain("usagekit keys: older statements still run; keys stay in both tables");
    release();
    expect(await host).toMatchObject({ recorded: false, duplicate: true });
    expect(await ledgerRows(db, userId, "oct-3")).toBe(1);
    expect(await moveKeys(db, { now: NOW })).toEqual({ copied: 0, removed: 1 });
    expect((await keysOf(db, userId)).past).toContain("oct-3 2026-10");
    expect((await keysOf(db, userId)).recent).not.toContain("oct-3 2026-10");
  });

  it("counts retries racing a move once", async () => {
    const db = suite.handle.db;
    const api = suite.api.usage;
    const users = Array.from({ length: 40 }, () => newUserId());
    const events = users.map((userId) => ({
      userId,
      idempotencyKey: "race",
      seconds: 7,
      occurredAt: OCTOBER,
    }));
    await api.recordUsageBatch({ events });
    const retries = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? api.recordUsageBatch({ events }) : Promise.all(events.map((e) => api.recordUsage(e))),
    );
    await Promise.all([...retries, moveKeys(db, { now: NOW })]);
    await moveKeys(db, { now: NOW });
    const [row] = await queryRows<{ events: number; recent: number; past: number }>(
      db,
      sql`SELECT (SELECT count(*)::int FROM usagekit.usage_events WHERE idempotency_key = 'race') AS events,
        (SELECT count(*)::int FROM usagekit.usage_event_keys WHERE idempotency_key = 'race') AS recent,
        (SELECT count(*)::int FROM usagekit.usage_event_keys_past WHERE idempotency_key = 'race') AS past`,
    );
    expect(row).toEqual({ events: 40, recent: 0, past: 40 });
  });
});
