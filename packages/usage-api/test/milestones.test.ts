import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

const day = (d: number, hour = 9) => new Date(Date.UTC(2026, 10, d, hour));

describe.each(dbKinds)("milestones on %s", (kind) => {
  const suite = useTestDb(kind);

  it("has nothing earned for a new user, and the first of each kind next", async () => {
    const api = callerFor(suite.handle, { now: () => day(20) });
    const answer = await api.usage.getMilestones({ userId: newUserId() });
    expect(answer.earned).toEqual([]);
    expect(answer.next.map((n) => [n.id, n.progress, n.target])).toEqual([
      ["first-conversation", 0, 1],
      ["streak-3", 0, 3],
      ["hours-1", 0, 1],
      ["exports-1", 0, 1],
      ["phrases-1", 0, 1],
    ]);
  });

  it("dates each earned milestone by the event that reached it, not by now", async () => {
    const userId = newUserId();
    const api = callerFor(suite.handle, { now: () => day(25) });
    await api.usage.setUserPlan({ userId, tier: "pro" });
    // Nov 1: phrases only; Nov 2–9: 40 minutes a day and an export; a gap; Nov 20: 3 hours.
    await api.usage.recordUsage({ userId, customPhrases: 4, occurredAt: day(1) });
    for (let d = 2; d <= 9; d++) {
      await api.usage.recordUsage({
        userId,
        conversations: 1,
        seconds: 2_400,
        ankiExports: 1,
        occurredAt: day(d),
      });
    }
    await api.usage.recordUsage({
      userId,
      conversations: 1,
      seconds: 10_800,
      customPhrases: 6,
      occurredAt: day(20),
    });

    const { earned, next } = await api.usage.getMilestones({ userId });
    expect(earned.map((e) => [e.id, e.earnedAt])).toEqual([
      ["phrases-1", day(1)],
      ["first-conversation", day(2)],
      ["exports-1", day(2)],
      ["streak-3", day(3)], // Nov 1, 2, 3 (same time: in the order milestones are listed)
      ["hours-1", day(3)], // 2 × 40 min crosses one hour
      ["streak-7", day(7)],
      ["phrases-10", day(20)],
    ]);
    expect(next).toEqual([
      { id: "streak-30", title: "30-day streak", progress: 9, target: 30 },
      { id: "hours-10", title: "10 hours practised", progress: 8, target: 10 },
      { id: "exports-10", title: "10 Anki exports", progress: 8, target: 10 },
      { id: "phrases-100", title: "100 custom phrases", progress: 10, target: 100 },
    ]);
    // Never in disagreement with the lifetime stats they are derived from.
    const life = await api.usage.getLifetimeStats({ userId });
    expect(life).toMatchObject({ longestStreak: 9, totalAnkiExports: 8, totalCustomPhrases: 10 });
    expect(Math.floor(life.totalSeconds / 3600)).toBe(8);
  });

  it("lets an end user read only its own milestones", async () => {
    const me = newUserId();
    const user = callerFor(suite.handle, {
      auth: { type: "user", userId: me },
      now: () => day(20),
    });
    await user.usage.recordUsage({ conversations: 1 });
    expect((await user.usage.getMilestones({})).earned.map((e) => e.id)).toEqual([
      "first-conversation",
    ]);
    await expect(user.usage.getMilestones({ userId: newUserId() })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
