import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

/**
 * The ledger is partitioned by local month: a key is still recorded once per user across months
 * (every write path), and an event of a month that has no partition is recorded all the same.
 */
describe.each(dbKinds)("the month-partitioned ledger on %s", (kind) => {
  const suite = useTestDb(kind, { max: 10 });
  const api = (now: string) => callerFor(suite.handle, { now: () => new Date(now) });
  /**
   * The user's ledger rows under `key` (from the database): the month, and whether the row is in
   * its month's partition or the default one (which months have one depends on today's date).
   */
  const rowsOf = (userId: string, key: string) =>
    queryRows<{ month: string; part: string }>(
      suite.handle.db,
      sql`SELECT to_char(month, 'YYYY-MM') AS month,
          CASE tableoid::regclass::text WHEN 'usagekit.usage_events_' || to_char(month, 'YYYY_MM')
            THEN 'own' ELSE tableoid::regclass::text END AS part
        FROM usagekit.usage_events WHERE user_id = ${userId} AND idempotency_key = ${key}`,
    );
  /** Where a row of a month near today may be: its own partition, or the default one. */
  const placed = expect.stringMatching(/^(own|usagekit\.usage_events_default)$/);

  it.each([
    ["recordUsage", false],
    ["recordUsage, enforced", true],
  ])("%s: a key recorded in October is a duplicate in December", async (_, enforceLimits) => {
    const userId = newUserId();
    const event = { userId, idempotencyKey: "k", ankiExports: 1, enforceLimits };
    expect(await api("2026-10-15T12:00:00Z").usage.recordUsage(event)).toMatchObject({
      recorded: true,
    });
    const again = await api("2026-12-20T12:00:00Z").usage.recordUsage(event);
    expect(again).toMatchObject({ recorded: false, duplicate: true });
    expect(await rowsOf(userId, "k")).toEqual([{ month: "2026-10", part: placed }]);
    const december = await api("2026-12-20T12:00:00Z").usage.getCurrentUsage({ userId });
    expect(december.features.ankiExports.used).toBe(0);
  });

  it("recordUsageBatch: a key of last month's partition is a duplicate, once, at midnight in Kiritimati", async () => {
    const userId = newUserId();
    await api("2026-11-01T00:00:00Z").usage.setUserPlan({
      userId,
      tier: "free",
      timezone: "Pacific/Kiritimati",
    });
    // 23:59:59.900 on 30 November there (UTC+14), then 0.6 s later: 1 December.
    const batch = (now: string) =>
      api(now).usage.recordUsageBatch({
        events: [
          { userId, idempotencyKey: "late", seconds: 60 },
          { userId, idempotencyKey: "other", seconds: 5 },
        ],
      });
    const first = await batch("2026-11-30T09:59:59.900Z");
    expect(first.results.map((r) => r.status)).toEqual(["recorded", "recorded"]);
    const retry = await batch("2026-11-30T10:00:00.500Z");
    expect(retry.results.map((r) => r.status)).toEqual(["duplicate", "duplicate"]);
    expect(await rowsOf(userId, "late")).toEqual([{ month: "2026-11", part: placed }]);
    const now = await api("2026-11-30T10:00:00.500Z").usage.getCurrentUsage({ userId });
    expect(now.seconds).toBe(0);
  });

  it("records an event of a month that has no partition (the default partition keeps it)", async () => {
    const userId = newUserId();
    const at = "1995-06-15T12:00:00Z";
    const answer = await api(at).usage.recordUsage({ userId, idempotencyKey: "old", seconds: 90 });
    expect(answer).toMatchObject({ recorded: true });
    expect(answer.usage.seconds).toBe(90);
    expect(await rowsOf(userId, "old")).toEqual([
      { month: "1995-06", part: "usagekit.usage_events_default" },
    ]);
    expect((await api(at).usage.getCurrentUsage({ userId })).seconds).toBe(90);
  });
});

describe.runIf(dbKinds.includes("postgres"))("the partitioned ledger under concurrency", () => {
  const suite = useTestDb("postgres", { max: 12 });
  it("records one key once when retries race from two months", async () => {
    const userId = newUserId();
    const now = () => new Date("2026-12-01T00:00:05Z");
    const api = callerFor(suite.handle, { now });
    // 12 concurrent tries of one key, half naming an instant in November, half in December.
    const tries = Array.from({ length: 12 }, (_, i) =>
      api.usage.recordUsage({
        userId,
        idempotencyKey: "raced",
        seconds: 30,
        occurredAt: new Date(i % 2 ? "2026-11-30T23:59:00Z" : "2026-12-01T00:00:01Z"),
      }),
    );
    const settled = await Promise.allSettled(tries);
    const recorded = settled.filter((s) => s.status === "fulfilled" && s.value.recorded);
    expect(recorded).toHaveLength(1);
    const [rows] = await queryRows<{ n: number; seconds: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n, sum(seconds)::int AS seconds FROM usagekit.usage_events
        WHERE user_id = ${userId}`,
    );
    expect(rows).toEqual({ n: 1, seconds: 30 });
  });
});
