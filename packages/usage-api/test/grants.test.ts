import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { refusalOf, rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const at = (iso: string) => new Date(iso);

describe.each(dbKinds)("grants on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 10 });
  const api = (now = NOW, auth?: { type: "user"; userId: string }) =>
    callerFor(suite.handle, { now: () => now, ...(auth && { auth }) });
  /** Each grant's remaining, read from the table itself, by key. */
  const remaining = async (userId: string) =>
    (
      await queryRows<{ key: string; remaining: number }>(
        suite.handle.db,
        sql`SELECT idempotency_key AS key, remaining::int FROM usagekit.grants
          WHERE user_id = ${userId} ORDER BY idempotency_key`,
      )
    ).map((g) => [g.key, g.remaining]);
  /** What reconcile finds wrong about the user's rows (nothing, when they agree with the ledger). */
  const driftOf = async (userId: string) =>
    (await findDrift(suite.handle.db, { tiers: defaultTiers, now: NOW })).filter((d) =>
      JSON.stringify(d).includes(userId),
    );
  const grant = (userId: string, key: string, amount: number, more = {}) =>
    api().usage.grantUsage({
      userId,
      idempotencyKey: key,
      feature: "ankiExports",
      amount,
      reason: "top-up",
      ...more,
    });
  const exportOne = (userId: string, now = NOW, key?: string) =>
    api(now).usage.recordUsage({
      userId,
      ankiExports: 1,
      enforceLimits: true,
      ...(key && { idempotencyKey: key }),
    });

  it("adds to the limit after the tier's allowance, reported as granted, and is used up", async () => {
    const userId = newUserId();
    const made = await grant(userId, "g1", 2);
    expect(made).toMatchObject({
      feature: "ankiExports",
      amount: 2,
      remaining: 2,
      expiresAt: null,
    });
    expect(await api().usage.canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      allowed: true,
      used: 0,
      limit: 5,
      remaining: 5,
      granted: 2,
      rolledOver: 0,
    });
    // The free tier's 3 first: the grant is untouched until they are used.
    for (let i = 0; i < 3; i++) await exportOne(userId);
    expect(await remaining(userId)).toEqual([["g1", 2]]);
    await exportOne(userId);
    expect(await remaining(userId)).toEqual([["g1", 1]]);
    await exportOne(userId);
    expect(await remaining(userId)).toEqual([["g1", 0]]);
    expect(await refusalOf(exportOne(userId))).toMatchObject({
      feature: "ankiExports",
      used: 5,
      limit: 5,
    });
    const current = await api().usage.getCurrentUsage({ userId });
    expect(current.features.ankiExports).toEqual({
      used: 5,
      limit: 5,
      remaining: 0,
      held: 0,
      rolledOver: 0,
      granted: 2,
    });
    const life = await api().usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({ granted: { ankiExports: 2 }, usedFromGrants: { ankiExports: 2 } });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("uses the oldest-expiring grant first, and stops counting one at its expiry instant", async () => {
    const userId = newUserId();
    const soon = at("2026-11-20T00:00:00Z");
    await grant(userId, "never", 5);
    await grant(userId, "late", 5, { expiresAt: at("2026-12-31T00:00:00Z") });
    await grant(userId, "soon", 2, { expiresAt: soon });
    for (let i = 0; i < 4; i++) await exportOne(userId); // 3 of the tier, then 1 from "soon"
    expect(await remaining(userId)).toEqual([
      ["late", 5],
      ["never", 5],
      ["soon", 1],
    ]);
    // A millisecond before its expiry it still counts; at the instant, it does not.
    const before = new Date(soon.getTime() - 1);
    expect(await api(before).usage.canUseFeature({ userId, feature: "ankiExports" })).toMatchObject(
      { limit: 3 + 1 + 11, granted: 12 },
    );
    expect(await api(soon).usage.canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      limit: 3 + 1 + 10,
      granted: 11,
    });
    await exportOne(userId, soon);
    expect(await remaining(userId)).toEqual([
      ["late", 4],
      ["never", 5],
      ["soon", 1],
    ]);
  });

  it("carries a grant across the month change, used only after the new month's allowance", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "free", timezone: "Pacific/Kiritimati" });
    await grant(userId, "g", 4);
    for (let i = 0; i < 5; i++) await exportOne(userId); // 3 + 2 of the grant
    expect(await remaining(userId)).toEqual([["g", 2]]);
    // 10:00 UTC on Nov 30 is already December 1st in Kiritimati (UTC+14).
    const december = at("2026-11-30T10:00:00Z");
    expect(
      await api(december).usage.canUseFeature({ userId, feature: "ankiExports" }),
    ).toMatchObject({ used: 0, limit: 5, granted: 2 });
    for (let i = 0; i < 3; i++) await exportOne(userId, december);
    expect(await remaining(userId)).toEqual([["g", 2]]);
    await exportOne(userId, december);
    expect(await remaining(userId)).toEqual([["g", 1]]);
    const months = await api(december).usage.getUsageHistory({ userId });
    expect(months.map((m) => [m.month, m.ankiExportsUsed])).toEqual([
      ["2026-12", 4],
      ["2026-11", 5],
    ]);
  });

  it("is never touched by a plan change, and a higher tier's allowance comes first", async () => {
    const userId = newUserId();
    await grant(userId, "g", 10);
    for (let i = 0; i < 5; i++) await exportOne(userId);
    expect(await remaining(userId)).toEqual([["g", 8]]);
    await api().usage.setUserPlan({ userId, tier: "plus" });
    expect(await remaining(userId)).toEqual([["g", 8]]);
    // Plus gives 50; with what the grants gave this month (2 taken, 8 left): 60.
    expect(await api().usage.canUseFeature({ userId, feature: "ankiExports" })).toMatchObject({
      used: 5,
      limit: 60,
      granted: 10,
    });
    await exportOne(userId);
    expect(await remaining(userId)).toEqual([["g", 8]]);
    await api().usage.setUserPlan({ userId, tier: "free" });
    expect(await remaining(userId)).toEqual([["g", 8]]);
  });

  it("is spent before soft-limit overage, and the bill charges only what no grant covered", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "plus" });
    await api().usage.grantUsage({
      userId,
      idempotencyKey: "hour",
      feature: "seconds",
      amount: 3600,
      reason: "top-up",
    });
    // Plus: 10 hours, then overage at 0.03 per minute. 10 h + 30 min: all from the grant.
    await api().usage.recordUsage({ userId, seconds: 36_000 + 1800 });
    let month = await api().usage.getCurrentUsage({ userId });
    expect(month.overageSeconds).toBe(0);
    expect(month.features.seconds).toMatchObject({ limit: 36_000 + 3600, granted: 3600 });
    // 1 more hour: 30 minutes from the grant, 30 minutes of overage.
    await api().usage.recordUsage({ userId, seconds: 3600, idempotencyKey: "last" });
    month = await api().usage.getCurrentUsage({ userId });
    expect(month.overageSeconds).toBe(1800);
    expect(await remaining(userId)).toEqual([["hour", 0]]);
    const [bill] = await api().usage.getBillingHistory({ userId, months: 1 });
    // 30 minutes at 0.03 a minute.
    expect(bill).toMatchObject({ overageUnits: { seconds: 1800 }, overage: "0.90" });
    expect(await driftOf(userId)).toEqual([]);
    // A refund takes back the overage first; the totals still agree with the ledger.
    await api().usage.correctUsage({
      userId,
      idempotencyKey: "refund",
      correctsKey: "last",
      reason: "failed",
      seconds: 3600,
    });
    month = await api().usage.getCurrentUsage({ userId });
    expect(month.overageSeconds).toBe(0);
    expect(await driftOf(userId)).toEqual([]);
  });

  it("is respected by batches, in input order, and counted once per key", async () => {
    const userId = newUserId();
    await grant(userId, "g", 2);
    const event = (i: number, enforceLimits: boolean) => ({
      userId,
      idempotencyKey: `e${i}`,
      ankiExports: 1,
      enforceLimits,
    });
    const { results } = await api().usage.recordUsageBatch({
      events: [1, 2, 3, 4, 5, 6].map((i) => event(i, i > 1)),
    });
    expect(results.map((r) => r.status)).toEqual([
      "recorded",
      "recorded",
      "recorded",
      "recorded",
      "recorded",
      "refused",
    ]);
    expect(await remaining(userId)).toEqual([["g", 0]]);
    // Unenforced, a user with grants is planned too: the ledger says what each event took.
    const other = newUserId();
    await grant(other, "g", 5);
    const unenforced = await api().usage.recordUsageBatch({
      events: [1, 2, 3, 4, 5, 5].map((i) => ({ ...event(i, false), userId: other })),
    });
    expect(unenforced.results.map((r) => r.status)).toEqual([
      "recorded",
      "recorded",
      "recorded",
      "recorded",
      "recorded",
      "duplicate",
    ]);
    expect(await remaining(other)).toEqual([["g", 3]]);
    const taken = await queryRows<{ granted: Record<string, number> | null }>(
      suite.handle.db,
      sql`SELECT granted FROM usagekit.usage_events WHERE user_id = ${other} ORDER BY id`,
    );
    expect(taken.map((e) => e.granted)).toEqual([
      null,
      null,
      null,
      { ankiExports: 1 },
      { ankiExports: 1 },
    ]);
  });

  it("is idempotent, refuses bad input without writing, and is the service's alone", async () => {
    const userId = newUserId();
    const first = await grant(userId, "k", 3);
    expect(await grant(userId, "k", 3)).toEqual(first);
    expect((await trpcError(grant(userId, "k", 4))).code).toBe("CONFLICT");
    const before = await rowCounts(suite.handle.db);
    for (const [input, field] of [
      [{ amount: 0 }, "amount"],
      [{ amount: 1.5 }, "amount"],
      [{ feature: "nope" }, "feature"],
      [{ expiresAt: at("2026-11-15T11:59:59Z") }, "expiresAt"],
      [{ reason: "" }, "reason"],
    ] as const) {
      const error = await trpcError(grant(newUserId(), "x", 1, input));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(field);
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
    const learner = api(NOW, { type: "user", userId });
    const denied = await trpcError(
      learner.usage.grantUsage({
        userId,
        idempotencyKey: "mine",
        feature: "ankiExports",
        amount: 100,
        reason: "free stuff",
      }),
    );
    expect(denied.code).toBe("FORBIDDEN");
  });

  it("counts top-up revenue in lifetime stats, not as a month subscribed", async () => {
    const userId = newUserId();
    const pay = (key: string, kind?: "topUp") =>
      api().usage.recordPayment({
        userId,
        tier: "free",
        amount: "4.99",
        paidAt: NOW,
        idempotencyKey: key,
        ...(kind && { kind }),
      });
    await pay("topup-1", "topUp");
    expect(await api().usage.getLifetimeStats({ userId })).toMatchObject({
      totalRevenue: "4.99",
      topUpRevenue: "4.99",
      monthsSubscribed: 0,
    });
    await pay("sub-1");
    expect(await api().usage.getLifetimeStats({ userId })).toMatchObject({
      totalRevenue: "9.98",
      topUpRevenue: "4.99",
      monthsSubscribed: 1,
    });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("lets exactly allowance + grant of N concurrent enforced writes through, never below zero", async () => {
    const userId = newUserId();
    await grant(userId, "a", 3);
    await grant(userId, "b", 2, { expiresAt: at("2026-12-01T00:00:00Z") });
    // Half of them late events for October: two months spending one user's grants at once.
    const enforced = Array.from({ length: 24 }, (_, i) =>
      api().usage.recordUsage({
        userId,
        idempotencyKey: `x${i}`,
        ankiExports: 1,
        enforceLimits: true,
        ...(i % 2 === 1 && { occurredAt: at("2026-10-20T12:00:00Z") }),
      }),
    );
    const outcomes = await Promise.allSettled(enforced);
    const ok = outcomes.filter((o) => o.status === "fulfilled").length;
    expect(ok).toBe(3 + 3 + 3 + 2);
    for (const o of outcomes)
      if (o.status === "rejected") expect(String(o.reason)).toMatch(/limit/i);
    expect(await remaining(userId)).toEqual([
      ["a", 0],
      ["b", 0],
    ]);
    const [taken] = await queryRows<{ granted: number; rows: number }>(
      suite.handle.db,
      sql`SELECT coalesce(sum((granted ->> 'ankiExports')::int), 0)::int AS granted,
          count(*)::int AS rows FROM usagekit.usage_events WHERE user_id = ${userId}`,
    );
    expect(taken).toEqual({ granted: 5, rows: 11 });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("spends a grant exactly once under concurrent unenforced writes and batches", async () => {
    const userId = newUserId();
    await grant(userId, "g", 10);
    const single = Array.from({ length: 12 }, (_, i) =>
      api().usage.recordUsage({ userId, idempotencyKey: `s${i}`, ankiExports: 1 }),
    );
    const batches = Array.from({ length: 4 }, (_, b) =>
      api().usage.recordUsageBatch({
        events: [0, 1].map((i) => ({ userId, idempotencyKey: `b${b}-${i}`, ankiExports: 1 })),
      }),
    );
    await Promise.all([...single, ...batches]);
    // 20 exports: 3 of the tier, 10 of the grant, 7 past the limit (recorded as reported).
    expect(await remaining(userId)).toEqual([["g", 0]]);
    const month = await api().usage.getCurrentUsage({ userId });
    expect(month.features.ankiExports).toMatchObject({ used: 20, limit: 13, granted: 10 });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("shows the month's alerts and top-ups to the app owner (analytics.monetization)", async () => {
    const report = () => api().analytics.monetization({ month: "2026-11" });
    const before = await report();
    const userId = newUserId();
    // 24 of the free tier's 30 minutes: the 80 % alert; then a top-up of an hour, 10 min used.
    await api().usage.recordUsage({ userId, seconds: 24 * 60 });
    await api().usage.recordPayment({
      userId,
      tier: "free",
      amount: "4.99",
      paidAt: NOW,
      idempotencyKey: "topup",
      kind: "topUp",
    });
    await api().usage.grantUsage({
      userId,
      idempotencyKey: "topup",
      feature: "seconds",
      amount: 3600,
      reason: "top-up",
    });
    await api().usage.recordUsage({ userId, seconds: 16 * 60, enforceLimits: true });
    const after = await report();
    const learners = (r: typeof before, threshold: number) =>
      r.alerts.find((a) => a.feature === "seconds" && a.threshold === threshold)?.learners ?? 0;
    expect(learners(after, 80) - learners(before, 80)).toBe(1);
    expect(learners(after, 100) - learners(before, 100)).toBe(1);
    const cents = (s: string) => Math.round(Number(s) * 100);
    expect(cents(after.topUps.revenue) - cents(before.topUps.revenue)).toBe(499);
    expect(after.topUps.payers - before.topUps.payers).toBe(1);
    const seconds = (m: Record<string, number>) => m.seconds ?? 0;
    expect(seconds(after.topUps.granted) - seconds(before.topUps.granted)).toBe(3600);
    expect(seconds(after.topUps.usedFromGrants) - seconds(before.topUps.usedFromGrants)).toBe(600);
  });

  it("is checked by reconcile: the grants and the month rows against what the ledger took", async () => {
    const userId = newUserId();
    await grant(userId, "g", 3);
    for (let i = 0; i < 5; i++) await exportOne(userId);
    expect(await driftOf(userId)).toEqual([]);
    await suite.handle.db.execute(
      sql`UPDATE usagekit.grants SET remaining = remaining + 1 WHERE user_id = ${userId}`,
    );
    expect(await driftOf(userId)).toEqual([
      {
        table: "grants",
        expected: { user_id: userId, feature: "ankiExports", used: 2 },
        actual: { user_id: userId, feature: "ankiExports", used: 1 },
      },
    ]);
    await suite.handle.db.execute(
      sql`UPDATE usagekit.grants SET remaining = remaining - 1 WHERE user_id = ${userId}`,
    );
    await suite.handle.db.execute(
      sql`UPDATE usagekit.monthly_usage SET granted = '{}' WHERE user_id = ${userId}`,
    );
    const drift = await driftOf(userId);
    expect(drift.map((d) => [d.table, d.expected?.granted, d.actual?.granted])).toEqual([
      ["monthly_usage", { ankiExports: 2 }, {}],
    ]);
    await repairDrift(suite.handle.db, { tiers: defaultTiers, now: NOW });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("is counted by reservations: a hold fits the allowance with its grants, and no more", async () => {
    const userId = newUserId();
    await grant(userId, "g", 600, { feature: "seconds" });
    // Free: 1,800 s, and the grant's 600.
    const hold = await api().usage.reserveUsage({
      userId,
      idempotencyKey: "r1",
      expiresInSeconds: 600,
      seconds: 2400,
    });
    expect(hold.held).toMatchObject({ seconds: 2400 });
    expect(
      await refusalOf(
        api().usage.reserveUsage({
          userId,
          idempotencyKey: "r2",
          expiresInSeconds: 600,
          seconds: 1,
        }),
      ),
    ).toMatchObject({ feature: "seconds", used: 2400, limit: 2400 });
    // Settled at 2,000 s: 1,800 of the tier, 200 of the grant; 400 left to hold.
    await api().usage.settleReservation({ reservationId: hold.reservationId, seconds: 2000 });
    expect(await remaining(userId)).toEqual([["g", 400]]);
    const second = await api().usage.reserveUsage({
      userId,
      idempotencyKey: "r3",
      expiresInSeconds: 600,
      seconds: 400,
    });
    expect(second.held).toMatchObject({ seconds: 400 });
    expect(await driftOf(userId)).toEqual([]);
  });

  it("judges a grant's expiry by the clock, not by a late event's time, and re-bills nothing", async () => {
    const userId = newUserId();
    const expires = at("2026-11-14T00:00:00Z");
    await api(at("2026-11-13T00:00:00Z")).usage.grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 5,
      expiresAt: expires,
      reason: "top-up",
    });
    for (let i = 0; i < 3; i++) await exportOne(userId, at("2026-11-13T12:00:00Z"));
    // A live grant of another feature: the user's writes are planned with their grants.
    await grant(userId, "phrases", 1, { feature: "customPhrases" });
    // Now (15 Nov) the exports' grant has expired: a late event of the 13th does not get it.
    const late = api().usage.recordUsage({
      userId,
      ankiExports: 1,
      enforceLimits: true,
      occurredAt: at("2026-11-13T18:00:00Z"),
    });
    expect(await refusalOf(late)).toMatchObject({ used: 3, limit: 3 });
    expect(await remaining(userId)).toEqual([
      ["g", 5],
      ["phrases", 1],
    ]);

    // A learner already in overage gets a grant: only what comes after is taken from it.
    const ben = newUserId();
    await api().usage.setUserPlan({ userId: ben, tier: "plus" });
    await api().usage.recordUsage({ userId: ben, seconds: 36_000 + 600 });
    await grant(ben, "g", 3600, { feature: "seconds" });
    // Enforced past the soft limit and the grant: recorded (a soft limit is never refused).
    await api().usage.recordUsage({ userId: ben, seconds: 60, enforceLimits: true });
    expect(await remaining(ben)).toEqual([["g", 3540]]);
    await api().usage.recordUsage({ userId: ben, seconds: 7200, enforceLimits: true });
    const month = await api().usage.getCurrentUsage({ userId: ben });
    expect(month.overageSeconds).toBe(600 + 7200 - 3540);
    expect(await driftOf(ben)).toEqual([]);
  });

  it("answers a grant or a payment key reused with another payload with CONFLICT", async () => {
    const userId = newUserId();
    await grant(userId, "k", 3, { expiresAt: at("2026-12-31T00:00:00Z") });
    for (const other of [
      { expiresAt: at("2026-12-30T00:00:00Z") },
      { reason: "another reason" },
      { feature: "customPhrases" },
    ])
      expect(
        (
          await trpcError(
            grant(userId, "k", 3, { expiresAt: at("2026-12-31T00:00:00Z"), ...other }),
          )
        ).code,
      ).toBe("CONFLICT");
    // Expiring at the clock's own instant is already expired.
    const now = await trpcError(grant(userId, "n", 1, { expiresAt: NOW }));
    expect(now.code).toBe("BAD_REQUEST");
    const pay = (kind?: "topUp") =>
      api().usage.recordPayment({
        userId,
        tier: "free",
        amount: "4.99",
        paidAt: NOW,
        idempotencyKey: "pay",
        ...(kind && { kind }),
      });
    await pay("topUp");
    expect((await trpcError(pay())).code).toBe("CONFLICT");
  });
});
