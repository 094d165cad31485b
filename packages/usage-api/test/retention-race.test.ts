import { sql } from "drizzle-orm";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { retainLedger } from "../src/retention/retain";
import { callerFor, newUserId, openTestDb } from "./db";
import { lockWaiters, trpcError } from "./helpers";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const NOW = "2026-11-20T12:00:00Z";
const placements = [
  ["its own partition", true],
  ["the default partition", false],
] as const;

/**
 * A learner's September event (600 s, key `sept`) and a November one (60 s); September in its
 * own partition or in the default one (a month older than the partitions made ahead). Then a
 * transaction of the test's holds `lock` (SQL) while `first` (a correction of 250 s of it, or
 * retention keeping 1 month) starts and reaches it, the other starts and waits behind the first,
 * and the lock goes. What each answered, a retry of the correction, and what is left after.
 */
async function race(
  ownPartition: boolean,
  lock: (userId: string) => string,
  first: "correction" | "retention",
) {
  const handle = await openTestDb("postgres", { max: 4 });
  const admin = postgres(handle.url!, { max: 2, onnotice: () => {} });
  try {
    const userId = newUserId();
    const api = (at: string) => callerFor(handle, { now: () => new Date(at) });
    const calls = {
      correction: () =>
        api(NOW).usage.correctUsage({
          userId,
          idempotencyKey: "sept-refund",
          correctsKey: "sept",
          reason: "failed session",
          seconds: 250,
        }),
      retention: () =>
        retainLedger(handle.db, { keepMonths: 1, now: new Date(NOW), tiers: defaultTiers }),
    };
    if (ownPartition)
      await handle.db.execute(
        sql`SELECT usagekit.ensure_ledger_partitions('2026-09-01', '2026-09-01')`,
      );
    const sept = { userId, idempotencyKey: "sept", seconds: 600 };
    await api("2026-09-10T10:00:00Z").usage.recordUsage(sept);
    await api("2026-11-10T10:00:00Z").usage.recordUsage({ userId, seconds: 60 });
    const waiting = () => lockWaiters(admin);
    const held = await admin.reserve();
    await held`BEGIN`;
    await held.unsafe(lock(userId));
    const correction = first === "correction" ? calls.correction() : undefined;
    const retention = first === "retention" ? calls.retention() : undefined;
    // The first waits for the test's lock, the second for the first.
    await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(1);
    const both = {
      correction: correction ?? calls.correction(),
      retention: retention ?? calls.retention(),
    };
    await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(2);
    await held`COMMIT`;
    held.release();
    const settled = await Promise.allSettled([both.correction, both.retention]);
    // A retry of the correction: the month's keys are forgotten with it, so this is a new correction.
    const retry = await calls.correction().then(
      (usage) => ({ usage }),
      (error: unknown) => ({ error }),
    );
    const left = (
      await admin`SELECT count(*)::int AS n FROM usagekit.usage_events WHERE month < '2026-10-01'`
    )[0]!.n as number;
    const after = {
      lifetime: await api(NOW).usage.getLifetimeStats({ userId }),
      drift: await findDrift(handle.db, { tiers: defaultTiers, now: new Date(NOW) }),
      septemberRowsLeft: left,
    };
    return { correction: settled[0], retention: settled[1], retry, after };
  } finally {
    // Also after a failed step: the test's transaction rolls back, the database goes.
    await admin.end({ timeout: 5 });
    await handle.close();
  }
}

/**
 * A correction of an event in a month that retention is dropping, the two at once (PostgreSQL:
 * only real sessions race). Retention locks what holds the month before it sums it, so a
 * correction that read the month's event first is waited for and kept in the totals, and one
 * that comes second finds the event gone. Summing first and waiting only at the drop kept the
 * event uncorrected and dropped its correction — or, in the default partition, deleted the event
 * and left its correction alone in the ledger.
 */
describe.runIf(DATABASE_URL)(
  "a correction racing retention's drop of its month (PostgreSQL)",
  () => {
    const dropped = [{ month: "2026-09", events: 2, users: 1 }];

    it.each(placements)("waits for a correction that came first, in %s", async (_, own) => {
      // The correction has read and locked the event; the test holds the month row it needs next.
      const r = await race(
        own,
        (u) =>
          `SELECT 1 FROM usagekit.monthly_usage WHERE user_id = '${u}' AND month = '2026-09-01' FOR UPDATE`,
        "correction",
      );
      expect(r.correction).toMatchObject({ status: "fulfilled", value: { seconds: 350 } });
      expect(r.retention).toEqual({ status: "fulfilled", value: { keptFrom: "2026-10", dropped } });
      expect(r.after).toEqual({
        lifetime: expect.objectContaining({ totalSeconds: 600 - 250 + 60 }),
        drift: [],
        septemberRowsLeft: 0,
      });
      // A retry after the drop is a new correction of an event that is gone: refused, nothing
      // written (the lifetime above is read after it).
      expect(r.retry).toMatchObject({
        error: { code: "BAD_REQUEST", message: expect.stringMatching(/^correctsKey: no event of/) },
      });
    });

    it.each(placements)(
      "drops the month before a correction that came second, in %s",
      async (_, own) => {
        // Retention has locked and summed the month; the test holds the key row it deletes next.
        const r = await race(
          own,
          (u) =>
            `SELECT 1 FROM usagekit.usage_event_keys WHERE user_id = '${u}' AND idempotency_key = 'sept' FOR UPDATE`,
          "retention",
        );
        expect(r.retention).toEqual({
          status: "fulfilled",
          value: { keptFrom: "2026-10", dropped: [{ month: "2026-09", events: 1, users: 1 }] },
        });
        expect(r.correction.status).toBe("rejected");
        const refused = await trpcError(
          Promise.reject((r.correction as PromiseRejectedResult).reason),
        );
        expect(refused).toMatchObject({ code: "BAD_REQUEST" });
        expect(refused.message).toMatch(/^correctsKey: no event of .* was recorded under sept$/);
        expect(r.after).toEqual({
          lifetime: expect.objectContaining({ totalSeconds: 600 + 60 }),
          drift: [],
          septemberRowsLeft: 0,
        });
      },
    );
  },
);
