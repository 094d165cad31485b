import { describe, expect, it } from "vitest";
import { dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);

describe.each(dbKinds)("recommendations on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });

  it("says what a learner could do next, from their own usage", async () => {
    const api = suite.api.usage;
    // A free learner: 17 of 20 conversations, practised the three days before today, not today.
    const ana = newUserId();
    for (const [n, day] of [3, 2, 1].entries()) {
      await api.recordUsage({
        userId: ana,
        conversations: n === 2 ? 7 : 5,
        seconds: 600,
        occurredAt: daysAgo(day),
      });
    }
    expect(await api.getRecommendations({ userId: ana })).toEqual([
      // 17 on 3 active days of the 4 since her first: 17/3 × 3/4 = 4.25 a day, so the 3 left
      // are used by tomorrow. Her practice time is used up already (1,800 s): nothing to warn.
      {
        kind: "runsOut",
        feature: "conversations",
        on: "2026-11-16",
        used: 17,
        limit: 20,
        upgrade: { tier: "plus", limit: 300 },
      },
      {
        kind: "nearLimit",
        feature: "conversations",
        used: 17,
        limit: 20,
        resetsAt: new Date("2026-12-01T00:00:00Z"),
      },
      { kind: "streakAtRisk", streak: 3 },
      { kind: "unused", feature: "realtimeSessions", limit: 5 },
      { kind: "unused", feature: "ankiExports", limit: 3 },
      { kind: "unused", feature: "customPhrases", limit: 10 },
      { kind: "unused", feature: "sessionExtensions", limit: 2 },
    ]);
    // Practising today keeps the streak: no more warning.
    await api.recordUsage({ userId: ana, seconds: 60 });
    const after = await api.getRecommendations({ userId: ana });
    expect(after.some((r) => r.kind === "streakAtRisk")).toBe(false);

    // A plus learner 21,000 s past the soft limit: $9.99 + $10.50 overage > pro's $19.99.
    const ben = newUserId();
    await api.setUserPlan({ userId: ben, tier: "plus", timezone: "America/New_York" });
    await api.recordUsage({ userId: ben, seconds: 57_000, occurredAt: daysAgo(0) });
    const forBen = await api.getRecommendations({ userId: ben });
    expect(forBen.filter((r) => r.kind === "cheaperPlan")).toEqual([
      { kind: "cheaperPlan", tier: "pro", overage: "10.50", saves: "0.50" },
    ]);
    // An unknown user reads as a free user with nothing used, and nothing is written.
    const nobody = await api.getRecommendations({ userId: "user_never_seen" });
    expect(nobody.map((r) => r.kind)).toEqual([
      "unused",
      "unused",
      "unused",
      "unused",
      "unused",
      "unused",
    ]);
  });
});
