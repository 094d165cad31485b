import { describe, expect, it } from "vitest";
import { defaultTiers, features } from "../src";
import { monthlyField } from "../src/limits/tiers";
import type { Feature } from "../src";
import { findDrift } from "../src/record/reconcile";
import { dbKinds, newUserId, useTestDb } from "./db";

/** Runs `tasks` with at most `width` in flight; settles them all. */
async function inParallel<T>(tasks: (() => Promise<T>)[], width: number) {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!().then(
          (value) => ({ status: "fulfilled", value }) as const,
          (reason: unknown) => ({ status: "rejected", reason }) as const,
        );
      }
    }),
  );
  return results;
}

const codeOf = (r: PromiseSettledResult<unknown>) =>
  r.status === "rejected" ? (r.reason as { code?: string }).code : "OK";

// Concurrency only means something on the real server, where these calls run in parallel on
// separate connections (CI always sets DATABASE_URL: test/db.ts refuses to run without it
// there). On PGlite the same calls interleave in the API layer and queue at the one
// connection; the invariants must hold there too.
describe.each(dbKinds)("concurrency on %s", (kind) => {
  const suite = useTestDb(kind, { max: 24 });

  it("lets exactly R of 50 concurrent enforceLimits calls through and stops at the limit", async () => {
    const userId = newUserId();
    await suite.api.usage.setUserPlan({ userId, tier: "plus" }); // ankiExports limit 50
    await suite.api.usage.recordUsage({ userId, ankiExports: 40 });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        suite.api.usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true }),
      ),
    );
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c === "OK")).toHaveLength(10);
    expect(codes.filter((c) => c === "FORBIDDEN")).toHaveLength(40);
    const current = await suite.api.usage.getCurrentUsage({ userId });
    expect(current.ankiExportsUsed).toBe(50);
    expect(current.features.ankiExports.remaining).toBe(0);
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalAnkiExports).toBe(50);
  });

  it("lets exactly R through for a brand-new user racing its first writes", async () => {
    const userId = newUserId(); // free: 3 exports, created by the first write
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        suite.api.usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true }),
      ),
    );
    expect(results.map(codeOf).filter((c) => c === "OK")).toHaveLength(3);
    expect((await suite.api.usage.getCurrentUsage({ userId })).ankiExportsUsed).toBe(3);
  });

  it.each([false, true])(
    "records 20 concurrent calls with one key once (enforceLimits %s)",
    async (enforceLimits) => {
      const userId = newUserId();
      await suite.api.usage.recordUsage({ userId, conversations: 1 });
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          suite.api.usage.recordUsage({
            userId,
            idempotencyKey: "session-42",
            seconds: 90,
            enforceLimits,
          }),
        ),
      );
      expect(results.filter((r) => r.recorded)).toHaveLength(1);
      expect(results.filter((r) => r.duplicate)).toHaveLength(19);
      for (const r of results) expect(r.usage.seconds).toBe(90);
      expect((await suite.api.usage.getLifetimeStats({ userId })).totalSeconds).toBe(90);
    },
  );

  it("keeps lifetime = Σ monthly = Σ ledger under a random concurrent workload", async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const users = Array.from({ length: 6 }, newUserId);
    for (const [i, userId] of users.entries()) {
      await suite.api.usage.setUserPlan({
        userId,
        tier: pick(["free", "plus", "pro"]),
        timezone: pick(["UTC", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]),
      });
      if (i === 0) await suite.api.usage.setUserPlan({ userId, tier: "free" });
    }
    const now = Date.now();
    const tasks = Array.from({ length: 400 }, (_, i) => {
      const userId = pick(users);
      const amounts: Partial<Record<Feature, number>> = {};
      for (const f of features)
        if (random() < 0.4)
          amounts[f] =
            1 + Math.floor(random() * (f.endsWith("Seconds") || f === "seconds" ? 900 : 3));
      amounts.conversations = 1 + (amounts.conversations ?? 0);
      const input = {
        userId,
        ...amounts,
        enforceLimits: random() < 0.5,
        idempotencyKey: random() < 0.3 ? `k-${Math.floor(random() * 40)}` : undefined,
        occurredAt: new Date(now - Math.floor(random() * 20 * 86_400_000)),
      };
      return async () => ({ input, result: await suite.api.usage.recordUsage(input), i });
    });
    const settled = await inParallel(tasks, 16);
    const expected = new Map<string, Record<Feature, number>>();
    let recorded = 0;
    for (const s of settled) {
      if (s.status === "rejected") {
        // Refused at a hard limit, or a key reused with another payload (CONFLICT).
        expect(["FORBIDDEN", "CONFLICT"]).toContain((s.reason as { code?: string }).code);
        continue;
      }
      if (!s.value.result.recorded) continue;
      recorded++;
      const totals =
        expected.get(s.value.input.userId) ??
        (Object.fromEntries(features.map((f) => [f, 0])) as Record<Feature, number>);
      for (const f of features) totals[f] += s.value.input[f] ?? 0;
      expected.set(s.value.input.userId, totals);
    }
    expect(recorded).toBeGreaterThan(100);
    expect(settled.some((s) => s.status === "rejected")).toBe(true);
    // Reused keys: the same payload is a duplicate, another payload a CONFLICT.
    expect(
      settled.some(
        (s) =>
          (s.status === "fulfilled" && s.value.result.duplicate) ||
          (s.status === "rejected" && (s.reason as { code?: string }).code === "CONFLICT"),
      ),
    ).toBe(true);

    for (const userId of users) {
      const life = await suite.api.usage.getLifetimeStats({ userId });
      const history = await suite.api.usage.getUsageHistory({ userId });
      const totals = expected.get(userId)!;
      const lifetimeField = {
        conversations: "totalConversations",
        seconds: "totalSeconds",
        realtimeSessions: "totalRealtimeSessions",
        ankiExports: "totalAnkiExports",
        customPhrases: "totalCustomPhrases",
        advancedVoiceSeconds: "totalAdvancedVoiceSeconds",
        sessionExtensions: "totalSessionExtensions",
      } as const;
      for (const [feature, field] of Object.entries(lifetimeField) as [
        keyof typeof lifetimeField,
        string,
      ][]) {
        const monthly = history.reduce((a, m) => a + m[monthlyField[feature]], 0);
        const lifetime = life[field as keyof typeof life];
        expect([feature, lifetime, monthly]).toEqual([feature, totals[feature], totals[feature]]);
      }
    }
    // Every derived row (monthly, daily, lifetime) equals what the ledger implies.
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });
});
