import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

describe.each(dbKinds)("alerts on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 20 });
  const api = () => callerFor(suite.handle, { now: () => NOW }).usage;
  /** The alerts table itself: (feature, threshold, used) of a user, in order. */
  const raised = async (userId: string) =>
    queryRows<{ feature: string; threshold: number; used: number }>(
      suite.handle.db,
      sql`SELECT feature, threshold, used::int AS used FROM usagekit.alerts
        WHERE user_id = ${userId} ORDER BY feature, threshold`,
    );

  it("raises 80 % and 100 % once each, also landing exactly on them", async () => {
    const userId = newUserId();
    // Free: 20 conversations. 80 % is 16, 100 % is 20.
    await api().recordUsage({ userId, conversations: 15 });
    expect(await raised(userId)).toEqual([]);
    await api().recordUsage({ userId, conversations: 1 });
    expect(await raised(userId)).toEqual([{ feature: "conversations", threshold: 80, used: 16 }]);
    await api().recordUsage({ userId, conversations: 4, enforceLimits: true });
    await api().recordUsage({ userId, conversations: 3 }); // past it: nothing again
    expect(await raised(userId)).toEqual([
      { feature: "conversations", threshold: 80, used: 16 },
      { feature: "conversations", threshold: 100, used: 20 },
    ]);
    const listed = await api().listAlerts({ userId });
    expect(listed.map((a) => [a.feature, a.threshold, a.used, a.limit, a.month])).toEqual([
      ["conversations", 80, 16, 20, "2026-11"],
      ["conversations", 100, 20, 20, "2026-11"],
    ]);
    expect(listed[0]!.id).toBeLessThan(listed[1]!.id);
    // `since` is inclusive: an alert raised at that instant is listed.
    const since = await api().listAlerts({ userId, since: listed[0]!.createdAt });
    expect(since.map((a) => a.threshold)).toContain(80);
  });

  it("says when the learner's pace reaches the limit, for this month's alerts only", async () => {
    const userId = newUserId();
    const at = (d: string) => new Date(`${d}T12:00:00Z`);
    // October: 16 of Free's 20 conversations (80 %); November: 8 on the 1st and 8 today.
    await api().recordUsage({ userId, conversations: 16, occurredAt: at("2026-10-20") });
    await api().recordUsage({ userId, conversations: 8, occurredAt: at("2026-11-01") });
    await api().recordUsage({ userId, conversations: 8 });
    const listed = await api().listAlerts({ userId });
    expect(listed.map((a) => [a.month, a.threshold, a.runsOutOn])).toEqual([
      // An earlier month's alert has no forecast.
      ["2026-10", 80, null],
      // 16 used on 2 days; 3 active days of the 27 since 20 October: 8 × 3/27 a day, so the 4
      // left last 4.5 days: the 20th.
      ["2026-11", 80, "2026-11-20"],
    ]);
    const forecast = await api().getForecast({ userId });
    expect(forecast.features.conversations?.reachesLimitOn).toBe(listed[1]!.runsOutOn);
  });

  it("raises every threshold a batch or a settle crosses at once", async () => {
    const batchUser = newUserId();
    await api().recordUsageBatch({
      events: [
        { userId: batchUser, conversations: 10 },
        { userId: batchUser, conversations: 10, ankiExports: 3 },
      ],
    });
    expect(await raised(batchUser)).toEqual([
      { feature: "ankiExports", threshold: 80, used: 3 },
      { feature: "ankiExports", threshold: 100, used: 3 },
      { feature: "conversations", threshold: 80, used: 20 },
      { feature: "conversations", threshold: 100, used: 20 },
    ]);
    // A batch judges the thresholds by the month row's tier: a pro user's 20 conversations are
    // unlimited there, so nothing is raised.
    const proUser = newUserId();
    await api().setUserPlan({ userId: proUser, tier: "pro" });
    await api().recordUsageBatch({ events: [{ userId: proUser, conversations: 20 }] });
    expect(await raised(proUser)).toEqual([]);
    const sessionUser = newUserId();
    const hold = await api().reserveUsage({
      userId: sessionUser,
      idempotencyKey: "s",
      expiresInSeconds: 600,
      realtimeSessions: 1,
    });
    expect(await raised(sessionUser)).toEqual([]);
    await api().settleReservation({ reservationId: hold.reservationId, realtimeSessions: 5 });
    expect((await raised(sessionUser)).map((a) => a.threshold)).toEqual([80, 100]);
  });

  it("raises each threshold once when concurrent writes cross it together", async () => {
    const userId = newUserId();
    await Promise.all(
      Array.from({ length: 24 }, () => api().recordUsage({ userId, conversations: 1 })),
    );
    expect(await raised(userId)).toEqual([
      { feature: "conversations", threshold: 80, used: 16 },
      { feature: "conversations", threshold: 100, used: 20 },
    ]);
  });

  it("shows end users their own alerts only", async () => {
    const userId = newUserId();
    await api().recordUsage({ userId, ankiExports: 3 });
    const own = callerFor(suite.handle, { auth: { type: "user", userId }, now: () => NOW }).usage;
    expect((await own.listAlerts({})).map((a) => a.threshold)).toEqual([80, 100]);
    const since = await own.listAlerts({ since: new Date(Date.now() + 60_000) });
    expect(since).toEqual([]);
    expect((await trpcError(own.listAlerts({ userId: newUserId() }))).code).toBe("FORBIDDEN");
  });
});
