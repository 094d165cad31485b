import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDb, queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { retainLedger } from "../src/retention/retain";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

const H = 3600;

/**
 * Retention drops the ledger's old months and keeps what answers need: every answer about a
 * learner — months, lifetime, streaks, milestones, bills — is the same after it, reconcile finds
 * nothing, and later milestones still count the dropped months.
 */
describe.each(dbKinds)("retention on %s", (kind) => {
  const suite = useTestDb(kind);
  const api = (now: string) => callerFor(suite.handle, { now: () => new Date(now) });
  const NOW = "2026-11-20T12:00:00Z";
  const db = () => suite.handle.db;
  const plus = newUserId();
  const free = newUserId();
  const old = newUserId();
  const users = [plus, free, old];

  /** Everything the API answers about a learner that reads old months. */
  const answers = async (userId: string) => {
    const q = api(NOW).usage;
    return {
      history: await q.getUsageHistory({ userId, months: 120 }),
      lifetime: await q.getLifetimeStats({ userId }),
      milestones: await q.getMilestones({ userId }),
      bills: await q.getBillingHistory({ userId, months: 120 }),
    };
  };
  /** The analytics about the old months (from the rollups, which keep what retention drops). */
  const reports = async () => {
    const a = api(NOW).analytics;
    return {
      adoption: await a.featureAdoption({ month: "2026-03" }),
      value: await a.featureValue({ month: "2026-04" }),
      segments: await a.userSegments({ month: "2026-03" }),
      retention: await a.retention({ fromMonth: "2026-03", months: 9 }),
      dropOff: await a.dropOff({ month: "2026-05" }),
      candidates: await a.upgradeCandidates({ month: "2026-03" }),
    };
  };
  const ledgerBefore = (month: string) =>
    queryRows<{ n: number }>(
      db(),
      sql`SELECT count(*)::int AS n FROM usagekit.usage_events WHERE month < ${month}::date`,
    );

  async function plant() {
    // March and April have partitions of their own; 2019 is in the default one.
    await db().execute(sql`SELECT usagekit.ensure_ledger_partitions('2026-03-01', '2026-04-01')`);
    await api("2026-03-01T12:00:00Z").usage.setUserPlan({
      userId: plus,
      tier: "plus",
      timezone: "America/New_York",
    });
    // Eight days in a row of 3 h, 2 exports, 2 phrases: 24 h in March (14 h past Plus's 10 h).
    for (let d = 2; d <= 9; d++) {
      const at = `2026-03-${String(d).padStart(2, "0")}T15:00:00Z`;
      await api(at).usage.recordUsage({
        userId: plus,
        idempotencyKey: `p-03-${d}`,
        seconds: 3 * H,
        conversations: 1,
        ankiExports: 2,
        customPhrases: 2,
      });
    }
    await api("2026-04-01T13:00:00Z").usage.recordPayment({
      userId: plus,
      tier: "plus",
      amount: "9.99",
      paidAt: new Date("2026-04-01T13:00:00Z"),
      idempotencyKey: "pay-04",
    });
    await api("2026-04-10T15:00:00Z").usage.recordUsage({
      userId: plus,
      idempotencyKey: "p-04",
      seconds: 2 * H,
    });
    await api("2026-04-12T15:00:00Z").usage.correctUsage({
      userId: plus,
      idempotencyKey: "p-04-refund",
      correctsKey: "p-04",
      reason: "failed session",
      seconds: H,
    });
    await api("2026-09-15T15:00:00Z").usage.recordUsage({
      userId: plus,
      idempotencyKey: "p-09",
      seconds: 20 * H,
    });
    // Free: 3 exports, a grant of 2 and both used, in May; one export in October.
    const exportAt = (at: string, key: string) =>
      api(at).usage.recordUsage({
        userId: free,
        idempotencyKey: key,
        ankiExports: 1,
        enforceLimits: true,
      });
    for (const k of [1, 2, 3]) await exportAt("2026-05-10T10:00:00Z", `f-05-${k}`);
    await api("2026-05-11T10:00:00Z").usage.grantUsage({
      userId: free,
      idempotencyKey: "g1",
      feature: "ankiExports",
      amount: 2,
      reason: "top-up",
    });
    for (const k of [4, 5]) await exportAt("2026-05-12T10:00:00Z", `f-05-${k}`);
    await exportAt("2026-10-05T10:00:00Z", "f-10");
    // A learner of 2019 on Plus, 11 h in one month.
    await api("2019-05-01T00:00:00Z").usage.setUserPlan({ userId: old, tier: "plus" });
    await api("2019-05-20T10:00:00Z").usage.recordUsage({
      userId: old,
      idempotencyKey: "o-1",
      seconds: 11 * H,
      conversations: 1,
    });
  }

  it("keeps every answer about old months the same, and reconcile finds nothing", async () => {
    await plant();
    const before = Object.fromEntries(
      await Promise.all(users.map(async (u) => [u, await answers(u)])),
    );
    expect(before[plus].bills.find((b: { month: string }) => b.month === "2026-03")).toMatchObject({
      overage: "25.20",
    });
    expect(await findDrift(db(), { tiers: defaultTiers, now: new Date(NOW) })).toEqual([]);
    const reportsBefore = await reports();
    expect(reportsBefore.adoption.tiers.find((t) => t.tier === "plus")?.activeUsers).toBe(1);
    expect(reportsBefore.candidates.candidates).toMatchObject([
      { userId: plus, tier: "plus", overageMoney: "25.20" },
    ]);
    // Nothing folded yet: retention folds the rollups before it drops a month.
    for (const t of ["rollup_months", "rollup_groups", "rollup_seconds", "rollup_cohorts"])
      await db().execute(sql.raw(`DELETE FROM usagekit.${t}`));
    await db().execute(sql`UPDATE usagekit.rollup_state SET done_id = 0`);

    const lines: string[] = [];
    const result = await retainLedger(db(), {
      keepMonths: 2,
      now: new Date(NOW),
      tiers: defaultTiers,
      log: (l) => lines.push(l),
    });
    expect(result.keptFrom).toBe("2026-09");
    expect(result.dropped.map((d) => d.month)).toEqual([
      "2019-05",
      "2026-03",
      "2026-04",
      "2026-05",
    ]);
    expect(result.dropped.find((d) => d.month === "2026-03")).toEqual({
      month: "2026-03",
      events: 8,
      users: 1,
    });
    expect(lines.filter((l) => !l.startsWith("rollups:"))).toHaveLength(4);
    // Gone from the ledger, their partitions with them; September on is all there.
    expect(await ledgerBefore("2026-09-01")).toEqual([{ n: 0 }]);
    const [parts] = await queryRows<{ march: string | null }>(
      db(),
      sql`SELECT to_regclass('usagekit.usage_events_2026_03')::text AS march`,
    );
    expect(parts).toEqual({ march: null });

    for (const u of users) expect(await answers(u)).toEqual(before[u]);
    expect(await reports()).toEqual(reportsBefore);
    expect(await findDrift(db(), { tiers: defaultTiers, now: new Date(NOW) })).toEqual([]);
    // A kept month tampered with: repairing the learner rewrites it and leaves the dropped ones.
    await db().execute(sql`UPDATE usagekit.monthly_usage SET seconds = seconds + 1
      WHERE user_id = ${plus} AND month = '2026-09-01'`);
    await db().execute(
      sql`DELETE FROM usagekit.daily_activity WHERE user_id = ${plus} AND day = '2026-09-15'`,
    );
    expect(await findDrift(db(), { tiers: defaultTiers, now: new Date(NOW) })).toHaveLength(3);
    await repairDrift(db(), { tiers: defaultTiers, now: new Date(NOW) });
    for (const u of users) expect(await answers(u)).toEqual(before[u]);
    expect(await findDrift(db(), { tiers: defaultTiers, now: new Date(NOW) })).toEqual([]);

    // Again: nothing left to drop.
    expect(
      (await retainLedger(db(), { keepMonths: 2, now: new Date(NOW), tiers: defaultTiers }))
        .dropped,
    ).toEqual([]);
  });

  it("counts the dropped months in later milestones: 100 hours with 24 + 1 of them dropped", async () => {
    // 24 h (March) + 1 h (April, after the refund) dropped; 20 h (September) kept; 55 h now = 100 h.
    const at = "2026-11-20T11:00:00Z";
    await api(at).usage.recordUsage({ userId: plus, idempotencyKey: "p-11", seconds: 55 * H });
    const earned = (await api(NOW).usage.getMilestones({ userId: plus })).earned;
    expect(earned.find((m) => m.id === "hours-100")?.earnedAt).toEqual(new Date(at));
    expect((await api(NOW).usage.getLifetimeStats({ userId: plus })).totalSeconds).toBe(100 * H);
    expect(await findDrift(db(), { tiers: defaultTiers, now: new Date(NOW) })).toEqual([]);
  });

  it("refuses a bad number of months and drops nothing", async () => {
    for (const keepMonths of [0, -1, 1.5, Number.NaN])
      await expect(
        retainLedger(db(), { keepMonths, now: new Date(NOW), tiers: defaultTiers }),
      ).rejects.toThrow(/--keep-months/);
    expect(await ledgerBefore("2026-12-01")).not.toEqual([{ n: 0 }]);
  });
});

describe("the retention command (PGlite)", () => {
  it("drops the months before the last N, says so, and reconcile says what it checks", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "usagekit-retention-"));
    const handle = await createDb({ url: "", dataDir });
    const userId = newUserId();
    // One event in 2019 and one now (whatever today is): only the first is older than a month.
    await callerFor(handle, { now: () => new Date("2019-05-20T10:00:00Z") }).usage.recordUsage({
      userId,
      idempotencyKey: "then",
      seconds: 60,
    });
    await callerFor(handle).usage.recordUsage({ userId, idempotencyKey: "now", seconds: 30 });
    await handle.close();
    const env = { ...process.env, DATABASE_URL: "", USAGE_DATA_DIR: dataDir };
    const run = (script: string, ...args: string[]) =>
      promisify(execFile)("pnpm", ["exec", "tsx", `scripts/${script}.ts`, ...args], { env }).then(
        ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    try {
      const bad = await run("retention", "--keep-months", "0");
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining("--keep-months N") });
      const done = await run("retention", "--keep-months", "1");
      expect(done.code).toBe(0);
      expect(done.stdout).toContain("usagekit retention: dropped 2019-05: 1 events of 1 users");
      expect(done.stdout).toContain("the ledger now holds the months from");
      const check = await run("reconcile");
      expect(check).toMatchObject({ code: 0, stdout: expect.stringContaining("no drift") });
      expect(check.stdout).toContain("those months are not checked");
      const reopened = await createDb({ url: "", dataDir });
      const keys = await queryRows<{ key: string }>(
        reopened.db,
        sql`SELECT idempotency_key AS key FROM usagekit.usage_events WHERE user_id = ${userId}`,
      );
      await reopened.close();
      expect(keys).toEqual([{ key: "now" }]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
