import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const OCTOBER = new Date("2026-10-20T12:00:00Z");

describe.each(dbKinds)("corrections on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });
  /** The ledger itself, summed: what every total must equal. */
  const ledgerSum = async (userId: string) =>
    (
      await queryRows<{ rows: number; conversations: number; seconds: number; sessions: number }>(
        suite.handle.db,
        sql`SELECT count(*)::int AS rows, sum(conversations)::int AS conversations,
          sum(seconds)::int AS seconds, sum(completed_sessions)::int AS sessions
        FROM usagekit.usage_events WHERE user_id = ${userId}`,
      )
    )[0]!;
  const session = { conversations: 1, seconds: 600, completedSessions: 1 };

  it("takes a failed session back: month, lifetime and reports, the day kept", async () => {
    const userId = newUserId();
    await api().usage.recordUsage({ userId, idempotencyKey: "s1", ...session });
    await api().usage.recordUsage({ userId, idempotencyKey: "s2", ...session, seconds: 900 });
    const corrected = await api().usage.correctUsage({
      userId,
      idempotencyKey: "refund-s1",
      correctsKey: "s1",
      reason: "the session failed on our side",
      ...session,
    });
    expect(corrected).toMatchObject({
      month: "2026-11",
      conversations: 1,
      seconds: 900,
      completedSessions: 1,
      averageSessionLength: 900,
    });
    expect(await ledgerSum(userId)).toEqual({
      rows: 3,
      conversations: 1,
      seconds: 900,
      sessions: 1,
    });
    const life = await api().usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({ totalConversations: 1, totalSeconds: 900, daysActive: 1 });
    // The same correction again is the same answer; the key with another payload is a CONFLICT.
    const again = await api().usage.correctUsage({
      userId,
      idempotencyKey: "refund-s1",
      correctsKey: "s1",
      reason: "the session failed on our side",
      ...session,
    });
    expect(again).toEqual(corrected);
    const other = api().usage.correctUsage({
      userId,
      idempotencyKey: "refund-s1",
      correctsKey: "s1",
      reason: "x",
      seconds: 1,
    });
    expect((await trpcError(other)).code).toBe("CONFLICT");
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("never goes below zero, and names what it cannot correct; writing nothing", async () => {
    const userId = newUserId();
    await api().usage.recordUsage({ userId, idempotencyKey: "e1", ankiExports: 2 });
    const correct = (key: string, correctsKey: string, ankiExports: number) =>
      api().usage.correctUsage({
        userId,
        idempotencyKey: key,
        correctsKey,
        reason: "never reached Anki",
        ankiExports,
      });
    await correct("c1", "e1", 1);
    const before = await rowCounts(suite.handle.db);
    const tooMuch = await trpcError(correct("c2", "e1", 2));
    expect(tooMuch.code).toBe("BAD_REQUEST");
    expect(tooMuch.message).toContain("ankiExports: correcting 2 would take the event below zero");
    const unknown = await trpcError(correct("c3", "nope", 1));
    expect(unknown.message).toMatch(/^correctsKey: /);
    // A correction cannot itself be corrected.
    const ofCorrection = trpcError(correct("c4", "c1", 1));
    expect((await ofCorrection).message).toMatch(/^correctsKey: /);
    expect(await rowCounts(suite.handle.db)).toEqual(before);
    expect((await api().usage.getCurrentUsage({ userId })).features.ankiExports.used).toBe(1);
  });

  it("corrects last month: its row, its overage and the money it bills", async () => {
    const userId = newUserId();
    await api(OCTOBER).usage.setUserPlan({ userId, tier: "plus" });
    // Plus: 10 h included, then $0.03 a minute. 10 h 10 min: 600 s of overage, $0.30.
    await api(OCTOBER).usage.recordUsage({ userId, idempotencyKey: "long", seconds: 36_600 });
    await api().usage.correctUsage({
      userId,
      idempotencyKey: "refund-long",
      correctsKey: "long",
      reason: "billed twice",
      seconds: 300,
    });
    const [october] = await api().usage.getUsageHistory({ userId, months: 2 });
    expect(october).toMatchObject({ month: "2026-10", seconds: 36_300, overageSeconds: 300 });
    const bills = await api().usage.getBillingHistory({ userId, months: 2 });
    expect(bills.find((b) => b.month === "2026-10")?.overage).toBe("0.15");
    const report = await api().analytics.overage({ month: "2026-10" });
    expect(report.users.find((u) => u.userId === userId)).toMatchObject({ amount: "0.15" });
    // Taking it all back below the included hours: no overage, no money.
    await api().usage.correctUsage({
      userId,
      idempotencyKey: "refund-rest",
      correctsKey: "long",
      reason: "billed twice",
      seconds: 36_300,
    });
    const [after] = await api().usage.getUsageHistory({ userId, months: 2 });
    expect(after).toMatchObject({ seconds: 0, overageSeconds: 0 });
    const none = await api().usage.getBillingHistory({ userId, months: 2 });
    expect(none.find((b) => b.month === "2026-10")?.overage ?? "0.00").toBe("0.00");
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("keeps a milestone once earned, and lowers the progress to the next", async () => {
    const userId = newUserId();
    await api().usage.recordUsage({ userId, idempotencyKey: "x1", ankiExports: 1 });
    const earned = await api().usage.getMilestones({ userId });
    expect(earned.earned.map((m) => m.id)).toContain("exports-1");
    await api().usage.correctUsage({
      userId,
      idempotencyKey: "undo-x1",
      correctsKey: "x1",
      reason: "never reached Anki",
      ankiExports: 1,
    });
    const after = await api().usage.getMilestones({ userId });
    expect(after.earned.map((m) => m.id)).toContain("exports-1");
    expect((await api().usage.getLifetimeStats({ userId })).totalAnkiExports).toBe(0);
    const adoption = await api().analytics.featureAdoption({ month: "2026-11" });
    const free = adoption.tiers.find((t) => t.tier === "free")!;
    const exporters = await queryRows<{ n: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n FROM (SELECT user_id FROM usagekit.usage_events
        WHERE occurred_at >= '2026-11-01' AND occurred_at < '2026-12-01'
        GROUP BY user_id HAVING sum(anki_exports) > 0) x`,
    );
    expect(free.features.ankiExports.users).toBe(exporters[0]!.n);
  });
});
