import type { Db } from "@usagekit/db";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createCaller, createTRPCContext } from "../src";
import { callerFor, openTestDb } from "./db";
import { lockWaiters, runsOutOf } from "./helpers";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const NOW = new Date("2026-11-15T12:00:00Z");

/**
 * A plan change marks the learner's kept forecast stale in its own transaction; a refresh that
 * runs meanwhile, and cannot see the change yet, must leave the mark for the next one — even when
 * the learner was marked already (a grant) and the change marks them again.
 */
describe.runIf(DATABASE_URL)("upgradeCandidates' kept forecasts and a change in flight", () => {
  it("keep a mark made again while a refresh runs, so the next report sees the change", async () => {
    const handle = await openTestDb("postgres", { max: 4 });
    const admin = postgres(handle.url!, { max: 1, onnotice: () => {} });
    try {
      const api = callerFor(handle, { now: () => NOW });
      const userId = "learner-in-flight";
      const report = async () =>
        (await api.analytics.upgradeCandidates({ month: "2026-11", limit: 10 })).candidates.find(
          (c) => c.userId === userId,
        )?.runsOut ?? [];
      // Free: 2 exports today, and 10 more exports granted (a mark not yet refreshed).
      await api.usage.recordUsage({ userId, ankiExports: 2 });
      await api.usage.grantUsage({
        userId,
        idempotencyKey: "g",
        feature: "ankiExports",
        amount: 10,
        reason: "top-up",
      });
      // The move to Plus (50 exports) in a host's transaction, held open after the call.
      let commit!: () => void;
      const held = new Promise<void>((resolve) => (commit = resolve));
      let changed!: () => void;
      const made = new Promise<void>((resolve) => (changed = resolve));
      const change = handle.db.transaction(async (tx) => {
        const host = createCaller(
          createTRPCContext({ db: tx as unknown as Db, auth: { type: "service" }, now: () => NOW }),
        );
        await host.usage.setUserPlan({ userId, tier: "plus" });
        changed();
        await held;
      });
      await made;
      // A report's refresh reaches the mark the open change holds, and waits for it.
      const during = report();
      const waiting = () => lockWaiters(admin);
      await expect.poll(waiting, { timeout: 10_000, interval: 20 }).toBe(1);
      commit();
      await change;
      // Made from what it could see: Free's 3 and the grant's 10.
      expect(await during).toEqual([
        { feature: "ankiExports", limit: 13, projected: 32, reachesLimitOn: "2026-11-21" },
      ]);
      // The next report sees Plus, as the learner's own forecast does: 2 a day stays under its
      // 50 and the grant's 10 this month.
      const expected = runsOutOf(await api.usage.getForecast({ userId }));
      expect(expected).toEqual([]);
      expect(await report()).toEqual(expected);
    } finally {
      await admin.end();
      await handle.close();
    }
  });
});
