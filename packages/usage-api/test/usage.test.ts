import { describe, expect, it } from "vitest";
import { LimitExceededError } from "../src";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

describe.each(dbKinds)("usage service on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });

  it("records an event into the monthly row, the lifetime row and the day", async () => {
    const userId = newUserId();
    const result = await suite.api.usage.recordUsage({
      userId,
      conversations: 1,
      seconds: 300,
      completedSessions: 1,
    });
    expect(result.recorded).toBe(true);
    expect(result.duplicate).toBe(false);
    expect(result.period).toEqual({
      start: new Date("2026-11-01T00:00:00Z"),
      end: new Date("2026-12-01T00:00:00Z"),
    });
    expect(result.usage).toMatchObject({
      month: "2026-11",
      conversations: 1,
      seconds: 300,
      completedSessions: 1,
    });
    const life = await suite.api.usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({
      totalConversations: 1,
      totalSeconds: 300,
      daysActive: 1,
      currentStreak: 1,
    });
    expect(life.firstConversationAt).toEqual(NOW);
    expect(life.lastActiveAt).toEqual(NOW);
    const current = await suite.api.usage.getCurrentUsage({ userId });
    expect(current.tier).toBe("free");
    expect(current.features.conversations).toEqual({
      used: 1,
      limit: 20,
      remaining: 19,
      held: 0,
      rolledOver: 0,
      granted: 0,
    });
    expect(current.features.seconds).toEqual({
      used: 300,
      limit: 1800,
      remaining: 1500,
      held: 0,
      rolledOver: 0,
      granted: 0,
    });
    expect(current.lastConversationAt).toEqual(NOW);
  });

  it("answers exactly the monthly row's fields, whichever path wrote or read the row", async () => {
    const fields = [
      "month",
      "periodStart",
      "periodEnd",
      "conversations",
      "seconds",
      "realtimeSessions",
      "ankiExportsUsed",
      "customPhrasesCreated",
      "advancedVoiceSeconds",
      "sessionExtensionsUsed",
      "completedSessions",
      "averageSessionLength",
      "longestSession",
      "overageSeconds",
      "tierWhenUsed",
      "lastConversationAt",
      "lastRealtimeAt",
    ].sort();
    const userId = newUserId();
    const usage = suite.api.usage;
    const event = (key: string, enforceLimits = false) => ({
      userId,
      idempotencyKey: key,
      seconds: 5,
      realtimeSessions: 1,
      enforceLimits,
    });
    const answers = [
      // One event by its own statement (enforced) and in a group (unenforced).
      (await usage.recordUsage(event("single-enforced", true))).usage,
      (await usage.recordUsage(event("single"))).usage,
      // A retried key, answered from the row as it stands.
      (await usage.recordUsage(event("single"))).usage,
      // A batch by one statement, a batch planned under locks, and a retry in a batch.
      ...(await usage.recordUsageBatch({ events: [event("b1"), event("b1"), event("b2")] }))
        .results,
      ...(await usage.recordUsageBatch({ events: [event("p1", true), event("p1", true)] })).results,
      await usage.correctUsage({
        userId,
        idempotencyKey: "fix-1",
        correctsKey: "b2",
        reason: "test",
        seconds: 5,
      }),
    ].map((a) => ("usage" in a ? a.usage : a));
    expect(answers).toHaveLength(9);
    for (const answer of answers) expect(Object.keys(answer).sort()).toEqual(fields);
    // Five events recorded, one taken back: the last answer is the month row as it stands.
    const current = await usage.getCurrentUsage({ userId });
    expect(answers[8]).toMatchObject({ seconds: 20, realtimeSessions: 5, lastRealtimeAt: NOW });
    expect(current.features.seconds.used).toBe(20);
  });

  it("counts an idempotency key once and answers duplicate with the current usage", async () => {
    const userId = newUserId();
    const first = await suite.api.usage.recordUsage({
      userId,
      idempotencyKey: "call-1",
      seconds: 60,
    });
    const again = await suite.api.usage.recordUsage({
      userId,
      idempotencyKey: "call-1",
      seconds: 60,
    });
    expect(first).toMatchObject({ recorded: true, duplicate: false });
    expect(again).toMatchObject({ recorded: false, duplicate: true, usage: { seconds: 60 } });
    expect(again.period).toEqual(first.period);
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalSeconds).toBe(60);
    // The same key is independent per user.
    const other = await suite.api.usage.recordUsage({
      userId: newUserId(),
      idempotencyKey: "call-1",
      seconds: 5,
    });
    expect(other.recorded).toBe(true);
  });

  it("leaves the key free when the write fails, so the retry counts once", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({ userId, ankiExports: 3 });
    const refused = await trpcError(
      suite.api.usage.recordUsage({
        userId,
        idempotencyKey: "export-4",
        ankiExports: 1,
        enforceLimits: true,
      }),
    );
    expect(refused.code).toBe("FORBIDDEN");
    const tooOld = await trpcError(
      suite.api.usage.recordUsage({
        userId,
        idempotencyKey: "export-4",
        ankiExports: 1,
        occurredAt: new Date("2026-09-30T00:00:00Z"),
      }),
    );
    expect(tooOld.code).toBe("BAD_REQUEST");
    await suite.api.usage.setUserPlan({ userId, tier: "plus" });
    const retry = await suite.api.usage.recordUsage({
      userId,
      idempotencyKey: "export-4",
      ankiExports: 1,
      enforceLimits: true,
    });
    expect(retry).toMatchObject({ recorded: true, usage: { ankiExportsUsed: 4 } });
    const again = await suite.api.usage.recordUsage({
      userId,
      idempotencyKey: "export-4",
      ankiExports: 1,
      enforceLimits: true,
    });
    expect(again).toMatchObject({ duplicate: true, usage: { ankiExportsUsed: 4 } });
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalAnkiExports).toBe(4);
  });

  it("refuses past a hard limit with enforceLimits, all or nothing, and says which limit", async () => {
    const userId = newUserId();
    for (let i = 0; i < 3; i++) {
      await suite.api.usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true });
    }
    const error = await trpcError(
      suite.api.usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true }),
    );
    expect(error.code).toBe("FORBIDDEN");
    expect(error.cause).toBeInstanceOf(LimitExceededError);
    expect((error.cause as LimitExceededError).limitExceeded).toEqual({
      feature: "ankiExports",
      used: 3,
      limit: 3,
      requested: 1,
    });
    // One feature over its limit refuses the whole event, the other feature included.
    const both = await trpcError(
      suite.api.usage.recordUsage({
        userId,
        conversations: 1,
        customPhrases: 11,
        enforceLimits: true,
      }),
    );
    expect((both.cause as LimitExceededError).limitExceeded).toEqual({
      feature: "customPhrases",
      used: 0,
      requested: 11,
      limit: 10,
    });
    const current = await suite.api.usage.getCurrentUsage({ userId });
    expect(current).toMatchObject({
      ankiExportsUsed: 3,
      conversations: 0,
      customPhrasesCreated: 0,
    });
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalConversations).toBe(0);
    // A feature not in the tier (limit 0) is refused at once.
    const voice = await trpcError(
      suite.api.usage.recordUsage({ userId, advancedVoiceSeconds: 1, enforceLimits: true }),
    );
    expect((voice.cause as LimitExceededError).limitExceeded).toEqual({
      feature: "advancedVoiceSeconds",
      used: 0,
      limit: 0,
      requested: 1,
    });
  });

  it("records as reported past a hard limit without enforceLimits", async () => {
    const userId = newUserId();
    const result = await suite.api.usage.recordUsage({ userId, ankiExports: 5 });
    expect(result.usage.ankiExportsUsed).toBe(5);
    const check = await suite.api.usage.canUseFeature({ userId, feature: "ankiExports" });
    expect(check).toMatchObject({
      allowed: false,
      used: 5,
      limit: 3,
      remaining: 0,
      overage: false,
    });
  });

  it("counts seconds past a soft limit as overage and keeps allowing them", async () => {
    const userId = newUserId();
    await suite.api.usage.setUserPlan({ userId, tier: "plus" });
    await suite.api.usage.recordUsage({ userId, seconds: 35_000, enforceLimits: true });
    const over = await suite.api.usage.recordUsage({ userId, seconds: 1_500, enforceLimits: true });
    expect(over.usage).toMatchObject({ seconds: 36_500, overageSeconds: 500 });
    const more = await suite.api.usage.recordUsage({ userId, seconds: 100 });
    expect(more.usage.overageSeconds).toBe(600);
    const check = await suite.api.usage.canUseFeature({ userId, feature: "seconds", amount: 60 });
    expect(check).toMatchObject({
      allowed: true,
      overage: true,
      used: 36_600,
      limit: 36_000,
      remaining: 0,
      tier: "plus",
    });
  });

  it("answers canUseFeature from the server's tier config, with resetsAt at the next local month", async () => {
    const userId = newUserId();
    await suite.api.usage.setUserPlan({ userId, tier: "free", timezone: "Europe/Berlin" });
    await suite.api.usage.recordUsage({ userId, customPhrases: 8 });
    const fits = await suite.api.usage.canUseFeature({
      userId,
      feature: "customPhrases",
      amount: 2,
    });
    expect(fits).toEqual({
      allowed: true,
      feature: "customPhrases",
      tier: "free",
      used: 8,
      limit: 10,
      remaining: 2,
      overage: false,
      resetsAt: new Date("2026-11-30T23:00:00Z"),
      held: 0,
      rolledOver: 0,
      granted: 0,
    });
    expect(
      (await suite.api.usage.canUseFeature({ userId, feature: "customPhrases", amount: 3 }))
        .allowed,
    ).toBe(false);
    const pro = newUserId();
    await suite.api.usage.setUserPlan({ userId: pro, tier: "pro" });
    expect(
      await suite.api.usage.canUseFeature({ userId: pro, feature: "ankiExports", amount: 1000 }),
    ).toMatchObject({
      allowed: true,
      limit: null,
      remaining: null,
    });
  });

  it("reads an unknown user as a free user with no usage, without creating it", async () => {
    const userId = newUserId();
    const current = await suite.api.usage.getCurrentUsage({ userId });
    expect(current).toMatchObject({ tier: "free", conversations: 0, seconds: 0, month: "2026-11" });
    expect(await suite.api.usage.getUsageHistory({ userId })).toEqual([]);
    const life = await suite.api.usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({
      totalSeconds: 0,
      daysActive: 0,
      totalRevenue: "0.00",
      createdAt: null,
    });
    expect(
      (await suite.api.usage.canUseFeature({ userId, feature: "conversations" })).allowed,
    ).toBe(true);
    // Still unknown: a later lifetime read has no createdAt either.
    expect((await suite.api.usage.getLifetimeStats({ userId })).createdAt).toBeNull();
  });

  it("keeps session averages, the longest session and the tier of the latest event", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({
      userId,
      seconds: 600,
      completedSessions: 1,
      occurredAt: new Date("2026-11-10T10:00:00Z"),
    });
    await suite.api.usage.recordUsage({ userId, seconds: 900, completedSessions: 3 });
    await suite.api.usage.recordUsage({ userId, seconds: 1000 }); // not a completed session
    await suite.api.usage.setUserPlan({ userId, tier: "pro" });
    const late = await suite.api.usage.recordUsage({
      userId,
      conversations: 1,
      occurredAt: new Date("2026-11-09T10:00:00Z"),
    });
    // 4 sessions: 600 + 3 × 300 → mean 375, longest 600; the latest event by time was on free.
    expect(late.usage).toMatchObject({
      completedSessions: 4,
      averageSessionLength: 375,
      longestSession: 600,
      tierWhenUsed: "free",
    });
    const latest = await suite.api.usage.recordUsage({ userId, realtimeSessions: 1 });
    expect(latest.usage).toMatchObject({ tierWhenUsed: "pro", lastRealtimeAt: NOW });
  });

  it("accepts an event a few minutes ahead that falls in next month", async () => {
    const endOfMonth = new Date("2026-11-30T23:58:00Z");
    const api2 = callerFor(suite.handle, { now: () => endOfMonth });
    const userId = newUserId();
    const ahead = await api2.usage.recordUsage({
      userId,
      conversations: 1,
      occurredAt: new Date("2026-12-01T00:02:00Z"),
    });
    expect(ahead.usage.month).toBe("2026-12");
    const life = await api2.usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({
      totalConversations: 1,
      averageSessionsPerMonth: 1,
      currentStreak: 1,
    });
    expect((await api2.usage.getCurrentUsage({ userId })).conversations).toBe(0);
  });

  it("puts a late event for last month into last month's row, and lists history newest first", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({ userId, seconds: 10 });
    const late = await suite.api.usage.recordUsage({
      userId,
      seconds: 20,
      occurredAt: new Date("2026-10-31T23:59:59Z"),
    });
    expect(late.usage).toMatchObject({ month: "2026-10", seconds: 20 });
    expect(late.period).toEqual({
      start: new Date("2026-10-01T00:00:00Z"),
      end: new Date("2026-11-01T00:00:00Z"),
    });
    const history = await suite.api.usage.getUsageHistory({ userId });
    expect(history.map((m) => [m.month, m.seconds])).toEqual([
      ["2026-11", 10],
      ["2026-10", 20],
    ]);
    expect(
      (await suite.api.usage.getUsageHistory({ userId, months: 1 })).map((m) => m.month),
    ).toEqual(["2026-11"]);
    expect((await suite.api.usage.getCurrentUsage({ userId })).seconds).toBe(10);
  });
});
