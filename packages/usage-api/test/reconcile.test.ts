import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, queryRows } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { defaultTiers } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, openTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");

describe.each(dbKinds)("reconcile on %s", (kind) => {
  let handle: DbHandle;
  let api: ReturnType<typeof callerFor>;
  const alice = newUserId();
  const bob = newUserId();

  beforeAll(async () => {
    handle = await openTestDb(kind);
    api = callerFor(handle, { now: () => NOW });
    await api.usage.setUserPlan({ userId: alice, tier: "plus", timezone: "Europe/Paris" });
    await api.usage.recordUsage({
      userId: alice,
      seconds: 35_000,
      conversations: 2,
      completedSessions: 2,
    });
    await api.usage.recordUsage({
      userId: alice,
      seconds: 2_000,
      ankiExports: 1,
      occurredAt: new Date("2026-10-20T08:00:00Z"),
    });
    await api.usage.recordUsage({ userId: alice, seconds: 2_000, realtimeSessions: 1 });
    await api.usage.recordPayment({
      userId: alice,
      tier: "plus",
      amount: "9.99",
      paidAt: NOW,
      idempotencyKey: "i1",
    });
    await api.usage.recordUsage({
      userId: bob,
      customPhrases: 4,
      occurredAt: new Date("2026-11-14T12:00:00Z"),
    });
  });
  afterAll(() => handle.close());

  it("finds no drift when every row was written by the service", async () => {
    expect(await findDrift(handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("reports drifted, missing and extra rows and repairs them from the ledger", async () => {
    const before = {
      alice: await api.usage.getLifetimeStats({ userId: alice }),
      aliceNow: await api.usage.getCurrentUsage({ userId: alice }),
      bob: await api.usage.getLifetimeStats({ userId: bob }),
    };
    expect(before.aliceNow.overageSeconds).toBe(1_000);
    await handle.db
      .execute(sql`UPDATE usagekit.monthly_usage SET seconds = seconds + 5, overage_seconds = 0
      WHERE user_id = ${alice}::text AND month = '2026-11-01'`);
    await handle.db
      .execute(sql`UPDATE usagekit.lifetime_stats SET total_revenue = 0, total_custom_phrases = 99
      WHERE user_id = ${bob}::text`);
    await handle.db.execute(sql`DELETE FROM usagekit.daily_activity WHERE user_id = ${bob}::text`);
    await handle.db.execute(
      sql`DELETE FROM usagekit.monthly_usage WHERE user_id = ${alice}::text AND month = '2026-10-01'`,
    );

    const drift = await findDrift(handle.db, { tiers: defaultTiers });
    const summary = drift.map((d) => [d.table, (d.expected ?? d.actual)!.user_id]).sort();
    expect(summary).toEqual(
      [
        ["daily_activity", bob],
        ["lifetime_stats", bob],
        ["monthly_usage", alice],
        ["monthly_usage", alice],
      ].sort(),
    );
    const missing = drift.find((d) => d.table === "monthly_usage" && d.actual === null);
    expect(missing?.expected).toMatchObject({
      month: "2026-10-01",
      seconds: 2000,
      anki_exports_used: 1,
    });

    expect(await repairDrift(handle.db, { tiers: defaultTiers })).toHaveLength(4);
    expect(await findDrift(handle.db, { tiers: defaultTiers })).toEqual([]);
    expect(await api.usage.getLifetimeStats({ userId: alice })).toEqual(before.alice);
    expect(await api.usage.getCurrentUsage({ userId: alice })).toEqual(before.aliceNow);
    expect(await api.usage.getLifetimeStats({ userId: bob })).toMatchObject({
      totalCustomPhrases: 4,
      daysActive: 1,
      totalRevenue: "0.00",
    });
    const october = (await api.usage.getUsageHistory({ userId: alice })).find(
      (m) => m.month === "2026-10",
    );
    expect(october).toMatchObject({ seconds: 2000, ankiExportsUsed: 1, tierWhenUsed: "plus" });
    expect(october?.periodStart).toEqual(new Date("2026-09-30T22:00:00Z"));
  });

  it("checks the keys' claims against the ledger: a lost claim is restored, a stray one freed", async () => {
    const carol = newUserId();
    await api.usage.recordUsage({ userId: carol, conversations: 1, idempotencyKey: "kept" });
    // A claim lost (the key would record twice) and one without its event (the key refused).
    await handle.db.execute(
      sql`DELETE FROM usagekit.usage_event_keys WHERE user_id = ${carol}::text`,
    );
    await handle.db
      .execute(sql`INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
      VALUES (${carol}::text, 'stray', '2026-11-01')`);
    const drift = await findDrift(handle.db, { tiers: defaultTiers });
    expect(
      drift.map((d) => [
        d.table,
        d.expected?.idempotency_key ?? null,
        d.actual?.idempotency_key ?? null,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ["usage_event_keys", "kept", null],
        ["usage_event_keys", null, "stray"],
      ]),
    );
    expect(drift).toHaveLength(2);
    await repairDrift(handle.db, { tiers: defaultTiers });
    expect(await findDrift(handle.db, { tiers: defaultTiers })).toEqual([]);
    // The kept key records once more as a duplicate; the stray one is free.
    await api.usage.recordUsage({ userId: carol, conversations: 1, idempotencyKey: "kept" });
    await api.usage.recordUsage({ userId: carol, conversations: 1, idempotencyKey: "stray" });
    expect((await api.usage.getCurrentUsage({ userId: carol })).features.conversations.used).toBe(
      2,
    );
    const [row] = await queryRows<{ n: number }>(
      handle.db,
      sql`SELECT count(*)::int AS n FROM usagekit.usage_event_keys WHERE user_id = ${carol}::text`,
    );
    expect(row?.n).toBe(2);
  });

  it("counts a correction's key as claimed: no drift, and a repair keeps its claim", async () => {
    const dave = newUserId();
    await api.usage.recordUsage({ userId: dave, conversations: 3, idempotencyKey: "e1" });
    const correction = {
      userId: dave,
      idempotencyKey: "c1",
      correctsKey: "e1",
      conversations: 1,
      reason: "refund",
    };
    await api.usage.correctUsage(correction);
    expect(await findDrift(handle.db, { tiers: defaultTiers })).toEqual([]);
    await repairDrift(handle.db, { tiers: defaultTiers });
    // The correction's key still answers as done: repeating it takes nothing more (3 - 1).
    await api.usage.correctUsage(correction);
    expect((await api.usage.getCurrentUsage({ userId: dave })).features.conversations.used).toBe(2);
  });
});

describe.each(dbKinds)("the reconcile script on %s", (kind) => {
  it("exits 1 on drift, and --fix repairs it", async () => {
    // PGlite is one process's database: the test writes a data folder, closes it, then the
    // script opens it. PostgreSQL: a fresh database, shared.
    const dataDir = mkdtempSync(join(tmpdir(), "usagekit-reconcile-"));
    const handle =
      kind === "pglite" ? await createDb({ url: "", dataDir }) : await openTestDb(kind);
    const userId = newUserId();
    await callerFor(handle).usage.recordUsage({ userId, seconds: 90, conversations: 1 });
    await handle.db.execute(
      sql`UPDATE usagekit.lifetime_stats SET total_seconds = 1 WHERE user_id = ${userId}::text`,
    );
    const env =
      kind === "pglite"
        ? { ...process.env, DATABASE_URL: "", USAGE_DATA_DIR: dataDir }
        : { ...process.env, DATABASE_URL: (handle as { url?: string }).url };
    if (kind === "pglite") await handle.close();
    const run = (...args: string[]) =>
      promisify(execFile)("pnpm", ["exec", "tsx", "scripts/reconcile.ts", ...args], { env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
      );
    try {
      const check = await run();
      expect(check.code).toBe(1);
      expect(check.stdout).toContain("1 drifted row(s)");
      expect((await run("--fix")).stdout).toContain("repaired");
      expect(await run()).toMatchObject({ code: 0, stdout: expect.stringContaining("no drift") });
    } finally {
      if (kind === "postgres") await handle.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
