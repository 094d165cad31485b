import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCaller, createTRPCContext, defaultTiers } from "../src";
import { callerFor, dbKinds, newUserId, openTestDb, useTestDb } from "./db";
import { refusalOf, rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

describe.each(dbKinds)("trust rules on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const as = (auth: Parameters<typeof createTRPCContext>[0]["auth"], now = NOW) =>
    createCaller(createTRPCContext({ db: suite.handle.db, auth, now: () => now }));

  it("always enforces an end user's writes, at the server's time", async () => {
    const me = newUserId();
    const user = as({ type: "user", userId: me });
    const before = await rowCounts(suite.handle.db);
    for (const call of [
      user.usage.recordUsage({ ankiExports: 1, enforceLimits: false }),
      user.usage.recordUsage({ ankiExports: 1, occurredAt: new Date("2026-10-31T23:00:00Z") }),
    ]) {
      expect((await trpcError(call)).code).toBe("FORBIDDEN");
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
    for (let i = 0; i < 3; i++) await user.usage.recordUsage({ ankiExports: 1 });
    // No enforceLimits flag: an end user is checked against the hard limit all the same.
    const refused = await trpcError(user.usage.recordUsage({ ankiExports: 1 }));
    expect(refused.code).toBe("FORBIDDEN");
    expect((await user.usage.getCurrentUsage({})).ankiExportsUsed).toBe(3);
  });

  it("gives an analyst every read of any user and analytics, and no write", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({ userId, seconds: 60 });
    const analyst = as({ type: "analyst" });
    expect((await analyst.usage.getLifetimeStats({ userId })).totalSeconds).toBe(60);
    expect((await analyst.usage.getCurrentUsage({ userId })).seconds).toBe(60);
    expect((await analyst.analytics.featureAdoption({ month: "2026-11" })).month).toBe("2026-11");
    expect((await trpcError(analyst.usage.getLifetimeStats({}))).code).toBe("BAD_REQUEST");
    const before = await rowCounts(suite.handle.db);
    for (const call of [
      analyst.usage.recordUsage({ userId, seconds: 1 }),
      analyst.usage.setUserPlan({ userId, tier: "pro" }),
      analyst.usage.recordPayment({
        userId,
        tier: "pro",
        amount: "1.00",
        paidAt: NOW,
        idempotencyKey: "a",
      }),
    ]) {
      expect((await trpcError(call)).code).toBe("FORBIDDEN");
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
  });

  it("validates the ids and tiers a host hands to a context", () => {
    const db = suite.handle.db;
    expect(() => createTRPCContext({ db, userId: "x".repeat(129) })).toThrow(/userId/);
    expect(() => createTRPCContext({ db, userId: "bad\u0000id" })).toThrow(/userId/);
    expect(createTRPCContext({ db, userId: "user_2abc" }).auth).toEqual({
      type: "user",
      userId: "user_2abc",
    });
    const evil = structuredClone(defaultTiers) as unknown as Record<string, Record<string, object>>;
    evil.free!.ankiExports = { limit: "3) OR true OR (1" };
    expect(() => createTRPCContext({ db, tiers: evil as never })).toThrow(
      /tiers\.free\.ankiExports\.limit/,
    );
    const price = structuredClone(defaultTiers) as unknown as Record<
      string,
      Record<string, object>
    >;
    price.plus!.seconds = { limit: 36_000, overage: { price: "0.03'; --", perUnits: 60 } };
    expect(() => createTRPCContext({ db, tiers: price as never })).toThrow(/overage/);
  });

  it("writes nothing at all for a refused or out-of-window event of a user never seen", async () => {
    const before = await rowCounts(suite.handle.db);
    const refused = await trpcError(
      suite.api.usage.recordUsage({
        userId: newUserId(),
        advancedVoiceSeconds: 60,
        enforceLimits: true,
      }),
    );
    expect(refused.code).toBe("FORBIDDEN");
    const late = await trpcError(
      suite.api.usage.recordUsage({
        userId: newUserId(),
        seconds: 1,
        occurredAt: new Date("2026-09-01T00:00:00Z"),
      }),
    );
    expect(late.code).toBe("BAD_REQUEST");
    const after = await rowCounts(suite.handle.db);
    expect({ ...after, limit_refusals: 0 }).toEqual({ ...before, limit_refusals: 0 });
  });

  it("keeps one refusal per key, with the reason from the refusing statement", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({ userId, ankiExports: 2 });
    const call = () =>
      suite.api.usage.recordUsage({
        userId,
        ankiExports: 2,
        enforceLimits: true,
        idempotencyKey: "r1",
      });
    for (let i = 0; i < 3; i++) {
      expect(await refusalOf(call())).toEqual({
        feature: "ankiExports",
        used: 2,
        limit: 3,
        requested: 2,
      });
    }
    const [row] = await queryRows<{ n: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n FROM usagekit.limit_refusals WHERE user_id = ${userId}`,
    );
    expect(row!.n).toBe(1);
    // After an upgrade the same key fits, and records once.
    await suite.api.usage.setUserPlan({ userId, tier: "pro" });
    expect((await call()).recorded).toBe(true);
    expect((await call()).duplicate).toBe(true);
  });

  it("answers a recorded key as a duplicate after its month left the window, and CONFLICT on another payload", async () => {
    const userId = newUserId();
    const event = {
      userId,
      seconds: 30,
      idempotencyKey: "old",
      occurredAt: new Date("2026-10-05T00:00:00Z"),
    };
    expect((await suite.api.usage.recordUsage(event)).recorded).toBe(true);
    const december = callerFor(suite.handle, { now: () => new Date("2026-12-20T00:00:00Z") });
    const again = await december.usage.recordUsage(event);
    expect(again).toMatchObject({
      recorded: false,
      duplicate: true,
      usage: { month: "2026-10", seconds: 30 },
    });
    const conflict = await trpcError(december.usage.recordUsage({ ...event, seconds: 31 }));
    expect(conflict.code).toBe("CONFLICT");
    expect((conflict.cause as unknown as { idempotencyKey: string }).idempotencyKey).toBe("old");
    const payment = {
      userId,
      tier: "plus" as const,
      amount: "9.99",
      paidAt: NOW,
      idempotencyKey: "inv",
    };
    await suite.api.usage.recordPayment(payment);
    expect((await suite.api.usage.recordPayment(payment)).duplicate).toBe(true);
    const paid = await trpcError(suite.api.usage.recordPayment({ ...payment, amount: "19.99" }));
    expect(paid.code).toBe("CONFLICT");
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalRevenue).toBe("9.99");
  });

  it("checks time zones against the database and stores the canonical name", async () => {
    const userId = newUserId();
    expect(
      (await suite.api.usage.setUserPlan({ userId, tier: "free", timezone: "europe/berlin" }))
        .timezone,
    ).toBe("Europe/Berlin");
    for (const timezone of ["+05:00", "UTC+5", "Nowhere/Atlantis", "-03"]) {
      const error = await trpcError(
        suite.api.usage.setUserPlan({ userId, tier: "free", timezone }),
      );
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain("timezone");
    }
    expect((await suite.api.usage.canUseFeature({ userId, feature: "seconds" })).resetsAt).toEqual(
      new Date("2026-11-30T23:00:00Z"),
    );
  });

  it("keeps the month row's period equal to resetsAt across a time-zone change", async () => {
    const userId = newUserId();
    await suite.api.usage.setUserPlan({ userId, tier: "plus", timezone: "Europe/Berlin" });
    await suite.api.usage.recordUsage({ userId, seconds: 60 });
    await suite.api.usage.setUserPlan({ userId, tier: "plus", timezone: "Asia/Tokyo" });
    const current = await suite.api.usage.getCurrentUsage({ userId });
    const can = await suite.api.usage.canUseFeature({ userId, feature: "seconds" });
    const [row] = await suite.api.usage.getUsageHistory({ userId });
    expect(current.period.end).toEqual(new Date("2026-11-30T15:00:00Z"));
    expect(can.resetsAt).toEqual(current.period.end);
    expect({ start: row!.periodStart, end: row!.periodEnd }).toEqual(current.period);
    expect({ start: current.periodStart, end: current.periodEnd }).toEqual(current.period);
    const recorded = await suite.api.usage.recordUsage({ userId, seconds: 1 });
    expect(recorded.period).toEqual(current.period);
  });

  it("bills overage in each user's own month, equal to the monthly rows", async () => {
    const la = newUserId();
    const tokyo = newUserId();
    await suite.api.usage.setUserPlan({
      userId: la,
      tier: "plus",
      timezone: "America/Los_Angeles",
    });
    await suite.api.usage.setUserPlan({ userId: tokyo, tier: "plus", timezone: "Asia/Tokyo" });
    // 31 Oct, 20:00 in Los Angeles is already November in UTC; 1 Nov, 05:00 in Tokyo is still October.
    await suite.api.usage.recordUsage({
      userId: la,
      seconds: 36_000 + 600,
      occurredAt: new Date("2026-11-01T03:00:00Z"),
    });
    await suite.api.usage.recordUsage({
      userId: tokyo,
      seconds: 36_000 + 1200,
      occurredAt: new Date("2026-10-31T20:00:00Z"),
    });
    const october = await suite.api.analytics.overage({ month: "2026-10" });
    const november = await suite.api.analytics.overage({ month: "2026-11" });
    expect(october.users.map((u) => u.userId).sort()).toEqual([la].sort());
    expect(october.users[0]).toMatchObject({ overageSeconds: 600, amount: "0.30" });
    expect(november.users.find((u) => u.userId === tokyo)).toMatchObject({
      overageSeconds: 1200,
      amount: "0.60",
    });
    const rows = await suite.api.usage.getUsageHistory({ userId: la });
    expect(rows.find((r) => r.month === "2026-10")!.overageSeconds).toBe(600);
  });

  it("keeps a user's revenue exact past a hundred maximum payments", async () => {
    const userId = newUserId();
    for (let i = 0; i < 101; i++) {
      await suite.api.usage.recordPayment({
        userId,
        tier: "pro",
        amount: "99999999.99",
        paidAt: new Date(NOW.getTime() - i * 86_400_000),
        idempotencyKey: `max-${i}`,
      });
    }
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalRevenue).toBe(
      "10099999998.99",
    );
  });

  it("masks an internal error: an errorId for the caller, the details in the log", async () => {
    const handle = await openTestDb(kind);
    await handle.close();
    const logged: { errorId: string; error: unknown }[] = [];
    const api = createCaller(
      createTRPCContext({
        db: handle.db,
        auth: { type: "service" },
        logError: (e) => logged.push(e),
      }),
    );
    const error = await trpcError(api.usage.getLifetimeStats({ userId: "u1" }));
    expect(error.code).toBe("INTERNAL_SERVER_ERROR");
    expect(error.message).toMatch(/^internal server error \(errorId [0-9a-f-]{36}\)$/);
    expect(error.message).not.toMatch(/select|lifetime|u1/i);
    expect(logged).toHaveLength(1);
    expect(error.message).toContain(logged[0]!.errorId);
    expect(String(logged[0]!.error)).not.toBe("");
  });
});

describe.runIf(dbKinds.includes("postgres"))("session settings on postgres", () => {
  it("reads timestamps as Dates whatever the database's DateStyle and TimeZone", async () => {
    const first = await openTestDb("postgres");
    const name = new URL(first.url!).pathname.slice(1);
    await first.db.execute(sql.raw(`ALTER DATABASE ${name} SET "DateStyle" = 'SQL, DMY'`));
    await first.db.execute(sql.raw(`ALTER DATABASE ${name} SET "TimeZone" = 'America/New_York'`));
    const { createDb } = await import("@usagekit/db");
    const second = await createDb({ url: first.url, max: 1 });
    try {
      const api = callerFor(second, { now: () => NOW });
      const userId = newUserId();
      const result = await api.usage.recordUsage({ userId, seconds: 5 });
      expect(result.period.start).toEqual(new Date("2026-11-01T00:00:00Z"));
      expect((await api.usage.getLifetimeStats({ userId })).lastActiveAt).toEqual(NOW);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
