import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, openTestDb } from "./db";
import { lockWaiters } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const october = (day: number) => new Date(`2026-10-${day}T00:00:00Z`);

/**
 * A batch beside another transaction that holds one of its rows (a host's plan change, a single
 * call): what it may wait for, what it must not lock ahead of time, and a key taken while it
 * waits. Meaningful only on the real server; each was found by a mutation the rest let through.
 */
describe.runIf(dbKinds.includes("postgres"))("a batch beside a transaction in flight", () => {
  let handle: Awaited<ReturnType<typeof openTestDb>>;
  let admin: postgres.Sql;
  let held: postgres.ReservedSql;
  let api: ReturnType<typeof callerFor>["usage"];
  beforeEach(async () => {
    handle = await openTestDb("postgres", { max: 4 });
    admin = postgres(handle.url!, { max: 2, onnotice: () => {} });
    held = await admin.reserve();
    await held`BEGIN`;
    api = callerFor(handle, { now: () => NOW }).usage;
  });
  afterEach(async () => {
    await held`ROLLBACK`.catch(() => {});
    held.release();
    await admin.end();
    await handle.close();
  });
  const waiting = () => lockWaiters(admin);
  const holdMonth = (userId: string, month: string) =>
    held`SELECT 1 FROM usagekit.monthly_usage WHERE user_id = ${userId} AND month = ${month}::date
      FOR UPDATE`;

  for (const enforceLimits of [false, true])
    it(`never waits for a known learner's row that a plan change holds (enforceLimits ${enforceLimits})`, async () => {
      const userId = newUserId();
      await api.setUserPlan({ userId, tier: "pro" });
      await held`UPDATE usagekit.users SET updated_at = updated_at WHERE id = ${userId}`;
      let done = false;
      const batch = api
        .recordUsageBatch({
          events: [
            { userId, seconds: 1, enforceLimits },
            { userId: newUserId(), seconds: 1, enforceLimits },
          ],
        })
        .finally(() => (done = true));
      // Either the batch answers, or it waits for the held row (and would until it goes).
      while (!done && (await waiting()) === 0) await new Promise((r) => setTimeout(r, 20));
      const waited = !done;
      await held`ROLLBACK`;
      await batch;
      expect(waited).toBe(false);
    });

  it("locks a learner's month rows oldest first, holding none of the later ones while it waits", async () => {
    const userId = newUserId();
    // November's row is made first, so that table order is not month order.
    await api.recordUsage({ userId, seconds: 1, occurredAt: new Date("2026-11-10T00:00:00Z") });
    await api.recordUsage({ userId, seconds: 1, occurredAt: october(10) });
    await holdMonth(userId, "2026-10-01");
    const batch = api.recordUsageBatch({
      events: [
        { userId, seconds: 1, enforceLimits: true, occurredAt: new Date("2026-11-11T00:00:00Z") },
        { userId, seconds: 1, enforceLimits: true, occurredAt: october(11) },
      ],
    });
    await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(1);
    // November is free while the batch waits for October (NOWAIT: an error if it is held).
    await expect(
      held`SELECT 1 FROM usagekit.monthly_usage WHERE user_id = ${userId}
        AND month = '2026-11-01' FOR UPDATE NOWAIT`,
    ).resolves.toHaveLength(1);
    await held`ROLLBACK`;
    expect((await batch).results.map((r) => r.status)).toEqual(["recorded", "recorded"]);
  });

  it("answers duplicate for a key a single call took while the batch waited", async () => {
    const userId = newUserId();
    await api.recordUsage({ userId, seconds: 1, occurredAt: october(10) });
    await api.recordUsage({ userId, seconds: 1 }); // November's row exists before the batch
    await holdMonth(userId, "2026-10-01");
    const batch = api.recordUsageBatch({
      events: [
        { userId, seconds: 1, enforceLimits: true, idempotencyKey: "a", occurredAt: october(11) },
        { userId, seconds: 5, enforceLimits: true, idempotencyKey: "k" },
      ],
    });
    await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(1);
    await api.recordUsage({ userId, seconds: 5, idempotencyKey: "k" });
    await held`ROLLBACK`;
    expect((await batch).results.map((r) => r.status)).toEqual(["recorded", "duplicate"]);
    // Counted once: November's row against the ledger's own sum.
    const [row] = await admin`SELECT
      (SELECT seconds::int FROM usagekit.monthly_usage WHERE user_id = ${userId} AND month = '2026-11-01') AS "monthly",
      (SELECT sum(seconds)::int FROM usagekit.usage_events WHERE user_id = ${userId} AND month = '2026-11-01') AS "ledger"`;
    expect(row).toEqual({ monthly: 6, ledger: 6 });
  });
});
