import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { retainLedger } from "../src/retention/retain";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

const H = 3600;
const NOW = new Date("2026-11-20T12:00:00Z");

/**
 * Retention at its edges (found by a mutation hunt): the write window in a month's first UTC hours
 * and under a session in another time zone, and two dropped months shared by several learners whose
 * kept facts — days, first and last instants, conversations, grants used — only the dropped months
 * hold. Expected figures are counted by hand in the comments.
 */
describe.each(dbKinds)("retention at its edges on %s", (kind) => {
  // One connection: a session setting (the time zone) holds for every statement.
  const suite = useTestDb(kind, { max: 1 });
  const api = (at: string) => callerFor(suite.handle, { now: () => new Date(at) });
  const retain = (keepMonths: number, now: Date) =>
    retainLedger(suite.handle.db, { keepMonths, now, tiers: defaultTiers });

  it("keeps the previous month while some zone is still in it, in any session time zone", async () => {
    // 03:00 UTC on 1 December is still 30 November west of UTC: keeping 1 month keeps October
    // (November's previous month). The ledger holds October and November only.
    await api("2026-10-15T12:00:00Z").usage.recordUsage({ userId: newUserId(), seconds: 60 });
    await api("2026-11-10T12:00:00Z").usage.recordUsage({ userId: newUserId(), seconds: 60 });
    expect(await retain(1, new Date("2026-12-01T03:00:00Z"))).toEqual({
      keptFrom: "2026-10",
      dropped: [],
    });
    // The same judged in UTC from a session 14 hours ahead (already 2 December there at 11:00).
    await suite.handle.db.execute(sql`SET TIME ZONE 'Pacific/Kiritimati'`);
    try {
      expect(await retain(1, new Date("2026-12-01T11:00:00Z"))).toEqual({
        keptFrom: "2026-10",
        dropped: [],
      });
    } finally {
      await suite.handle.db.execute(sql`SET TIME ZONE 'UTC'`);
    }
  });

  it("keeps each learner's facts of two dropped months shared by several learners", async () => {
    const [x, y, z] = [newUserId(), newUserId(), newUserId()];
    // x: a conversation on 5 March, 5 April and 20 April, nothing later (its first and last
    // instants, days and conversations live only in the dropped months).
    for (const at of ["2026-03-05T10:00:00Z", "2026-04-05T10:00:00Z", "2026-04-20T10:00:00Z"])
      await api(at).usage.recordUsage({ userId: x, conversations: 1, seconds: 60 });
    // y (Free, 3 exports a month): a grant of 2 exports, then 4 exports in March and 4 in April,
    // enforced — 3 within the limit and 1 from the grant each month, the grant used up.
    await api("2026-03-01T10:00:00Z").usage.grantUsage({
      userId: y,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 2,
      reason: "top-up",
    });
    for (const [month, day] of [
      ["m", "2026-03-10"],
      ["a", "2026-04-10"],
    ] as const)
      for (let i = 0; i < 4; i++)
        await api(`${day}T10:00:00Z`).usage.recordUsage({
          userId: y,
          idempotencyKey: `${month}${i}`,
          ankiExports: 1,
          enforceLimits: true,
        });
    // z: 6 hours on 6 and 7 March.
    for (const day of ["06", "07"])
      await api(`2026-03-${day}T10:00:00Z`).usage.recordUsage({ userId: z, seconds: 6 * H });
    const milestones = () =>
      Promise.all(
        [x, y, z].map((userId) => api(NOW.toISOString()).usage.getMilestones({ userId })),
      );
    const before = await milestones();
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers, now: NOW })).toEqual([]);

    // Keeping 2 months before November keeps September on: March (x 1, y 4, z 2 events) and
    // April (x 2, y 4) are dropped.
    const { dropped } = await retain(2, NOW);
    expect(dropped).toEqual([
      { month: "2026-03", events: 7, users: 3 },
      { month: "2026-04", events: 6, users: 2 },
    ]);
    // Reconcile compares the lifetime rows and grants with what the ledger and the kept totals
    // say: x's days and instants, y's grant used, every total of a month with several learners.
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers, now: NOW })).toEqual([]);
    expect(await milestones()).toEqual(before);
  });
});
