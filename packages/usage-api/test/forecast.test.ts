import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");
const day = (d: string) => new Date(`${d}T12:00:00Z`);

describe.each(dbKinds)("getForecast on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });

  it("projects the month from the learner's own pace and says the day the limit is reached", async () => {
    const userId = newUserId();
    // Every other day from 20 October: 2 conversations each day.
    const days = [
      "2026-10-20",
      "2026-10-22",
      "2026-10-24",
      "2026-10-26",
      "2026-10-28",
      "2026-10-30",
      "2026-11-02",
      "2026-11-04",
      "2026-11-06",
      "2026-11-08",
      "2026-11-10",
      "2026-11-12",
      "2026-11-14",
    ];
    for (const d of days)
      await api().usage.recordUsage({ userId, conversations: 2, occurredAt: day(d) });
    const forecast = await api().usage.getForecast({ userId });
    expect(forecast.month).toBe("2026-11");
    // November so far: 14 conversations on 7 active days (2 a day). Habit: 13 active days of
    // the 27 since 20 October (fewer than 28). So 2 × 13/27 a day for the 15 days after the 15th:
    // 14 + 14.44 → 28; the 20 of the free plan are reached when 6 more are used, 7 days on.
    expect(forecast.features.conversations).toEqual({
      used: 14,
      limit: 20,
      projected: 28,
      reachesLimitOn: "2026-11-22",
    });
    // Features not used go nowhere; unlimited ones and those not in the plan are not forecast.
    expect(forecast.features.ankiExports).toEqual({
      used: 0,
      limit: 3,
      projected: 0,
      reachesLimitOn: null,
    });
    expect(forecast.features).not.toHaveProperty("completedSessions");
    expect(forecast.features).not.toHaveProperty("advancedVoiceSeconds");
  });

  it("follows the learner's own month in a far zone, and says when the limit was already reached", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "free", timezone: "Pacific/Kiritimati" });
    await api().usage.recordUsage({ userId, ankiExports: 3, occurredAt: day("2026-11-10") });
    // 23:30 on 30 November there (UTC+14): the last day, nothing left to project; the limit of
    // 3 exports was reached, so it says today.
    const lastEvening = new Date("2026-11-30T09:30:00Z");
    expect((await api(lastEvening).usage.getForecast({ userId })).features.ankiExports).toEqual({
      used: 3,
      limit: 3,
      projected: 3,
      reachesLimitOn: "2026-11-30",
    });
    // An hour later it is December there: a new month with nothing used yet.
    const december = new Date("2026-11-30T10:30:00Z");
    const next = await api(december).usage.getForecast({ userId });
    expect(next.month).toBe("2026-12");
    expect(next.features.ankiExports).toEqual({
      used: 0,
      limit: 3,
      projected: 0,
      reachesLimitOn: null,
    });
  });

  it("counts grants in the limit, and is the learner's own", async () => {
    const userId = newUserId();
    await api().usage.recordUsage({ userId, ankiExports: 2, occurredAt: day("2026-11-15") });
    await api().usage.grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 10,
      reason: "top-up",
    });
    // One active day, today: 2 a day, every day (1 active day of the 1 known) for 15 days.
    const mine = callerFor(suite.handle, { now: () => NOW, auth: { type: "user", userId } });
    expect((await mine.usage.getForecast({})).features.ankiExports).toEqual({
      used: 2,
      limit: 13,
      projected: 32,
      reachesLimitOn: "2026-11-21",
    });
  });
});
