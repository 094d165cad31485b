import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, useTestDb } from "./db";

/**
 * Weird but valid writes for the same users at once: plan and zone changes (Antarctica/Troll,
 * whose offset changes by two hours; Kathmandu's +5:45) racing unenforced, enforced and batched
 * events. Every call is answered by its rule — no masked 500 — and lifetime = Σ monthly = Σ ledger.
 * (Found by fuzzing: setUserPlan deadlocked with recordUsage, its monthly and lifetime rows being
 * locked in the other order.)
 */
describe.each(dbKinds)("concurrent plan changes and events on %s", (kind) => {
  const suite = useTestDb(kind, { max: 12 });

  it("answers every call and keeps the totals", async () => {
    const api = callerFor(suite.handle, { now: () => new Date("2026-11-15T12:00:00Z") });
    const users = Array.from({ length: 6 }, (_, i) => `racer-${i}`);
    const zones = ["Antarctica/Troll", "Asia/Kathmandu", "America/St_Johns", "UTC"];
    const tiers = ["free", "plus", "pro"] as const;
    const calls: Promise<unknown>[] = [];
    const errors: string[] = [];
    const guard = (p: Promise<unknown>) =>
      p.catch((e: { code?: string }) => {
        if (e.code !== "FORBIDDEN") errors.push(String(e.code ?? e));
      });
    for (let round = 0; round < 12; round++) {
      for (const [u, userId] of users.entries()) {
        const n = round * users.length + u;
        calls.push(
          guard(api.usage.setUserPlan({ userId, tier: tiers[n % 3]!, timezone: zones[n % 4]! })),
        );
        calls.push(guard(api.usage.recordUsage({ userId, seconds: 60, conversations: 1 })));
        calls.push(
          guard(
            api.usage.recordUsage({
              userId,
              idempotencyKey: `k${n}`,
              ankiExports: 1,
              enforceLimits: true,
            }),
          ),
        );
        calls.push(
          guard(
            api.usage.recordUsageBatch({
              events: [
                { userId, seconds: 30 },
                { userId: users[(u + 1) % users.length]!, seconds: 30, customPhrases: 1 },
              ],
            }),
          ),
        );
      }
    }
    await Promise.all(calls);
    expect(errors).toEqual([]);
    const { findDrift } = await import("../src/record/reconcile");
    const { defaultTiers } = await import("../src");
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });
});
