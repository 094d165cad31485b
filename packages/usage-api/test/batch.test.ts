import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import type { BatchResult } from "../src";
import { findDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const statuses = (r: { results: BatchResult[] }) => r.results.map((x) => x.status);
/** Zones far from UTC, a quarter-hour one, and two whose clocks change in the window. */
const ZONES = ["Asia/Kathmandu", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati"];
/** Instants near a local midnight or month start in those zones, DST changes and plain days. */
const ANCHORS = [
  "2026-10-31T18:15:00Z", // 1 Nov 00:00 in Kathmandu (+5:45)
  "2026-11-01T04:00:00Z", // 1 Nov 00:00 in New York (EDT)
  "2026-11-01T06:00:00Z", // New York falls back to EST
  "2026-10-31T23:00:00Z", // 1 Nov 00:00 in Berlin (CET)
  "2026-10-25T01:00:00Z", // Berlin falls back to CET
  "2026-10-31T10:00:00Z", // 1 Nov 00:00 in Kiritimati (+14)
  "2026-10-01T04:00:00Z", // 1 Oct 00:00 in New York: the window's first instant there
  "2026-11-10T12:00:00Z",
  "2026-11-15T11:00:00Z",
];

describe.each(dbKinds)("recordUsageBatch on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 12 });
  const api = () => suite.api.usage;

  it("answers each event in input order: recorded, duplicate, refused, invalid", async () => {
    const [a, b] = [newUserId(), newUserId()];
    await api().recordUsage({ userId: a, ankiExports: 2, idempotencyKey: "before" });
    const before = await rowCounts(suite.handle.db);
    const answer = await api().recordUsageBatch({
      events: [
        { userId: a, conversations: 1, idempotencyKey: "k1" },
        { userId: a, ankiExports: 2, idempotencyKey: "before" }, // recorded earlier: duplicate
        { userId: a, ankiExports: 5, idempotencyKey: "before" }, // same key, other payload
        { userId: a, ankiExports: 2, enforceLimits: true, idempotencyKey: "r1" }, // 2 + 2 > 3
        { userId: a, ankiExports: 1, enforceLimits: true, idempotencyKey: "k2" }, // 2 + 1 fits
        { userId: a, conversations: 1, idempotencyKey: "k1" }, // earlier in this batch
        { userId: a, seconds: -1 },
        { userId: a, seconds: 1, bogus: true },
        { seconds: 1 },
        { userId: b, seconds: 60, occurredAt: new Date("2026-11-15T13:00:00Z") }, // 1 h ahead
        { userId: b, seconds: 60, occurredAt: new Date("2026-09-30T12:00:00Z") }, // out of window
        { userId: b, seconds: 60, occurredAt: new Date("2026-10-31T12:00:00Z") }, // last month
      ],
    });
    expect(statuses(answer)).toEqual([
      "recorded",
      "duplicate",
      "invalid",
      "refused",
      "recorded",
      "duplicate",
      "invalid",
      "invalid",
      "invalid",
      "invalid",
      "invalid",
      "recorded",
    ]);
    const [r0, , r2, r3, r4, , r6, r7, r8, r9, r10, r11] = answer.results as BatchResult[];
    expect(r0).toMatchObject({ usage: { conversations: 1, ankiExportsUsed: 3 } });
    expect(r2).toMatchObject({ error: { code: "CONFLICT" } });
    expect(r3).toEqual({
      status: "refused",
      limitExceeded: { feature: "ankiExports", used: 2, limit: 3, requested: 2 },
    });
    expect(r4).toMatchObject({ usage: { month: "2026-11", ankiExportsUsed: 3 } });
    expect(r6).toMatchObject({
      error: { code: "BAD_REQUEST", message: expect.stringContaining("seconds") },
    });
    expect(r7).toMatchObject({ error: { message: expect.stringContaining("bogus") } });
    expect(r8).toMatchObject({ error: { message: expect.stringContaining("userId") } });
    expect(r9).toMatchObject({ error: { message: expect.stringContaining("future") } });
    expect(r10).toMatchObject({ error: { message: expect.stringContaining("previous month") } });
    expect(r11).toMatchObject({ usage: { month: "2026-10", seconds: 60 } });
    const after = await rowCounts(suite.handle.db);
    expect(after.usage_events! - before.usage_events!).toBe(3);
    expect(after.limit_refusals! - before.limit_refusals!).toBe(1);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("refuses a batch over 1,000 events or none, and is for services only", async () => {
    const events = Array.from({ length: 1001 }, () => ({ userId: "x", seconds: 1 }));
    expect((await trpcError(api().recordUsageBatch({ events }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(api().recordUsageBatch({ events: [] }))).code).toBe("BAD_REQUEST");
    const user = callerFor(suite.handle, { auth: { type: "user", userId: "learner" } });
    const denied = await trpcError(
      user.usage.recordUsageBatch({ events: [{ userId: "learner", seconds: 1 }] }),
    );
    expect(denied.code).toBe("FORBIDDEN");
  });

  it("writes exactly what the same events one by one write (a property)", async () => {
    // Twin users: one gets the events call by call, the other in batches. Everything they leave
    // behind must match: answers, ledger rows, days, refusals, months and lifetime.
    const event = fc.record({
      conversations: fc.integer({ min: 0, max: 3 }),
      seconds: fc.integer({ min: 0, max: 2400 }),
      ankiExports: fc.integer({ min: 0, max: 2 }),
      completedSessions: fc.integer({ min: 0, max: 1 }),
      enforceLimits: fc.boolean(),
      // Near a local midnight, a month's start or a DST change in one of the zones, or any day.
      anchor: fc.constantFrom(...ANCHORS),
      minutes: fc.integer({ min: -150, max: 150 }),
      // Send an earlier event again (a duplicate), or its key with another payload (a conflict).
      again: fc.constantFrom("no", "no", "no", "same", "other"),
      back: fc.nat(),
    });
    const seen: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 25 }),
        fc.constantFrom("free", "plus", "pro"),
        fc.constantFrom(...ZONES),
        // Unenforced batches take the one-statement path; any enforced event, the planned one.
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (events, tier, timezone, unenforced, parts) => {
          const [single, batched] = [newUserId(), newUserId()];
          for (const userId of [single, batched])
            await api().setUserPlan({ userId, tier, timezone });
          const fresh = events
            .filter((e) => e.conversations + e.seconds + e.ankiExports + e.completedSessions > 0)
            .map(({ anchor, minutes, again, back, ...e }, n) => ({
              input: {
                ...e,
                enforceLimits: unenforced ? false : e.enforceLimits,
                occurredAt: new Date(Date.parse(anchor) + minutes * 60_000 + n * 1000),
                idempotencyKey: `e${n}`,
              },
              again,
              back,
            }));
          const inputs = fresh.map(({ input, again, back }, n) => {
            if (n === 0 || again === "no") return input;
            const earlier = fresh[back % n]!.input;
            return again === "same"
              ? earlier
              : { ...input, idempotencyKey: earlier.idempotencyKey };
          });
          const expected: string[] = [];
          for (const input of inputs) {
            expected.push(
              await api()
                .recordUsage({ userId: single, ...input })
                .then(
                  (r) => (r.duplicate ? "duplicate" : "recorded"),
                  (e: { code?: string }) => (e.code === "FORBIDDEN" ? "refused" : "invalid"),
                ),
            );
          }
          const size = Math.ceil(inputs.length / parts);
          const got: string[] = [];
          for (let i = 0; i < inputs.length; i += size) {
            const answer = await api().recordUsageBatch({
              events: inputs.slice(i, i + size).map((input) => ({ userId: batched, ...input })),
            });
            got.push(...statuses(answer));
          }
          seen.push(...got);
          expect(got).toEqual(expected);
          expect(await leftBehind(batched)).toEqual(await leftBehind(single));
        },
      ),
      { numRuns: kind === "postgres" ? 40 : 16, seed: 20261128 },
    );
    // Every kind of answer came up.
    for (const status of ["recorded", "duplicate", "refused", "invalid"])
      expect([status, seen.filter((s) => s === status).length > 3]).toEqual([status, true]);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  /** Every row a user's events left, the user id left out: ledger, days, refusals, months, lifetime. */
  async function leftBehind(userId: string) {
    const rows = (query: ReturnType<typeof sql>) => queryRows(suite.handle.db, query);
    const history = (await api().getUsageHistory({ userId })).map(
      ({ periodStart, periodEnd, ...m }) => ({
        ...m,
        bounds: [periodStart.getTime(), periodEnd.getTime()],
      }),
    );
    const { updatedAt: _u, createdAt: _c, ...lifetime } = await api().getLifetimeStats({ userId });
    return {
      ledger: await rows(sql`SELECT idempotency_key, occurred_at, month::text, day::text, tier,
          conversations, seconds, anki_exports, completed_sessions
        FROM usagekit.usage_events WHERE user_id = ${userId} ORDER BY id`),
      days: await rows(sql`SELECT day::text, events FROM usagekit.daily_activity
        WHERE user_id = ${userId} ORDER BY day`),
      refusals:
        await rows(sql`SELECT idempotency_key, occurred_at, tier, feature, used, "limit", requested
        FROM usagekit.limit_refusals WHERE user_id = ${userId} ORDER BY idempotency_key`),
      history,
      lifetime,
    };
  }

  it("keeps every key once and never overspends across concurrent overlapping batches", async () => {
    const users = Array.from({ length: 12 }, newUserId);
    // Some of the users start close to their free limit of 3 Anki exports.
    for (const userId of users.slice(0, 4)) await api().recordUsage({ userId, ankiExports: 2 });
    const shuffled = <T>(xs: T[], seed: number) =>
      xs
        .map((x, i) => ({ x, k: Math.sin(seed * 9301 + i * 49297) }))
        .sort((p, q) => p.k - q.k)
        .map((p) => p.x);
    // 8 batches of 150 events in random user order; every key is sent by two of the batches.
    const batches = Array.from({ length: 8 }, (_, b) =>
      shuffled(
        Array.from({ length: 150 }, (_, n) => {
          const key = (b % 4) * 150 + n;
          return {
            userId: users[key % users.length]!,
            idempotencyKey: `c${key}`,
            conversations: 1,
            ankiExports: key % 5 === 0 ? 1 : 0,
            enforceLimits: key % 5 === 0,
          };
        }),
        b + 1,
      ),
    );
    const answers = await Promise.all(batches.map((events) => api().recordUsageBatch({ events })));
    const byKey = new Map<string, string[]>();
    answers.forEach((a, b) =>
      a.results.forEach((r, i) => {
        const key = batches[b]![i]!.idempotencyKey;
        byKey.set(key, [...(byKey.get(key) ?? []), r.status]);
      }),
    );
    expect(byKey.size).toBe(600);
    // Each key: recorded by one batch and a duplicate in the other, or refused (in both).
    for (const seen of byKey.values()) {
      expect(seen.sort()).toEqual(
        seen.includes("recorded") ? ["duplicate", "recorded"] : ["refused", "refused"],
      );
    }
    const recorded = [...byKey.values()].filter((s) => s.includes("recorded")).length;
    const [row] = await queryRows<{ n: number; keys: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n, count(DISTINCT (user_id, idempotency_key))::int AS keys
          FROM usagekit.usage_events WHERE idempotency_key LIKE 'c%'`,
    );
    expect(row).toEqual({ n: recorded, keys: recorded });
    for (const userId of users) {
      const usage = await api().getCurrentUsage({ userId });
      expect(usage.ankiExportsUsed).toBeLessThanOrEqual(3);
    }
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("stays exact when single calls race the batches for new users at a limit", async () => {
    const users = Array.from({ length: 6 }, newUserId);
    const enforced = (userId: string, key: string) => ({
      userId,
      ankiExports: 1,
      enforceLimits: true,
      idempotencyKey: key,
    });
    const batches = Array.from({ length: 4 }, (_, b) =>
      api().recordUsageBatch({
        events: users.flatMap((u) => [0, 1].map((n) => enforced(u, `b${b}-${n}`))),
      }),
    );
    const singles = users.flatMap((u) =>
      [0, 1, 2].map((n) =>
        api()
          .recordUsage(enforced(u, `s${n}`))
          .then(
            () => "recorded",
            (e: { code?: string }) => e.code,
          ),
      ),
    );
    const [batchAnswers, singleAnswers] = await Promise.all([
      Promise.all(batches),
      Promise.all(singles),
    ]);
    expect(singleAnswers.every((a) => a === "recorded" || a === "FORBIDDEN")).toBe(true);
    const recorded =
      batchAnswers.flatMap((a) => a.results).filter((r) => r.status === "recorded").length +
      singleAnswers.filter((a) => a === "recorded").length;
    // 6 users × 3 exports allowed, 66 asked for: exactly 18 went through.
    expect(recorded).toBe(18);
    for (const userId of users) {
      expect((await api().getCurrentUsage({ userId })).ankiExportsUsed).toBe(3);
    }
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });
});
