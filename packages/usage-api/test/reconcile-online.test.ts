import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");

// Meaningful on the real server, where writers and the repair run on separate connections; on
// PGlite the same calls queue at its one connection.
describe.each(dbKinds)("reconcile --fix while writers run on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 12 });

  it("repairs injected drift without erasing a concurrent increment or deadlocking", async () => {
    const users = Array.from({ length: 6 }, newUserId);
    for (const userId of users) await suite.api.usage.recordUsage({ userId, seconds: 1 });
    const acknowledged = new Map<string, number>(users.map((u) => [u, 1]));
    let writing = true;
    const repairs: number[] = [];
    // Each writer goes on until the repairer has run several rounds beside it, however fast
    // this machine writes: the overlap is the point of the test.
    const writer = async (w: number) => {
      for (let i = 0; i < 60 || repairs.length < 4; i++) {
        const userId = users[(w + i) % users.length]!;
        const key = `w${w}-${i}`;
        // A failed call is retried with the same key: counted once.
        for (;;) {
          try {
            await suite.api.usage.recordUsage({
              userId,
              seconds: 7,
              conversations: 1,
              idempotencyKey: key,
            });
            break;
          } catch {
            /* retry */
          }
        }
        acknowledged.set(userId, acknowledged.get(userId)! + 7);
      }
    };
    const repairer = async () => {
      while (writing) {
        const victim = users[repairs.length % users.length]!;
        await suite.handle.db.execute(
          sql`UPDATE usagekit.monthly_usage SET seconds = seconds + 1000 WHERE user_id = ${victim}`,
        );
        await suite.handle.db.execute(
          sql`UPDATE usagekit.lifetime_stats SET total_seconds = total_seconds + 1000 WHERE user_id = ${victim}`,
        );
        repairs.push((await repairDrift(suite.handle.db, { tiers: defaultTiers })).length);
      }
    };
    const writers = Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    const repairing = repairer();
    await writers;
    writing = false;
    await repairing;

    expect(repairs.length).toBeGreaterThanOrEqual(4);
    expect(repairs.every((n) => n > 0)).toBe(true); // each round found the drift it injected
    // Nothing the repairs did erased an acknowledged increment, and nothing is left drifted.
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
    for (const userId of users) {
      const life = await suite.api.usage.getLifetimeStats({ userId });
      expect(life.totalSeconds).toBe(acknowledged.get(userId));
    }
  });
});
