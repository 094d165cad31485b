import { describe, expect, it } from "vitest";
import { seededRandom } from "../src/random";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

/** Reference: the local calendar day of an instant, by ICU's time-zone database. */
const localDay = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

/** Reference streaks over distinct local days: longest run, and the run ending today or yesterday. */
function referenceStreaks(days: string[], today: string) {
  const sorted = [...new Set(days)].map(dayNumber).sort((a, b) => a - b);
  let longest = 0;
  let run = 0;
  let current = 0;
  sorted.forEach((d, i) => {
    run = i > 0 && d === sorted[i - 1]! + 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
    if (d >= dayNumber(today) - 1) current = run;
  });
  return { daysActive: sorted.length, longestStreak: longest, currentStreak: current };
}

interface Scenario {
  timezone: string;
  now: Date;
  /** Instants that must be in the event set: DST changes and month edges. */
  edges: Date[];
  /** The period of the month that `now` is in, DST-correct. */
  period: { start: Date; end: Date };
  /** Local day that each edge must fall on. */
  edgeDays: string[];
}

const scenarios: Scenario[] = [
  {
    // DST starts 2026-03-08 02:00 EST → 03:00 EDT.
    timezone: "America/New_York",
    now: new Date("2026-03-20T15:00:00Z"),
    edges: [
      new Date("2026-03-08T06:30:00Z"),
      new Date("2026-03-08T07:30:00Z"),
      new Date("2026-03-09T03:59:00Z"),
      new Date("2026-03-09T04:00:00Z"),
      new Date("2026-03-01T04:59:00Z"),
    ],
    edgeDays: ["2026-03-08", "2026-03-08", "2026-03-08", "2026-03-09", "2026-02-28"],
    period: { start: new Date("2026-03-01T05:00:00Z"), end: new Date("2026-04-01T04:00:00Z") },
  },
  {
    // DST starts 2026-09-27 02:00 NZST → 03:00 NZDT; October starts at 11:00Z on 30 September.
    timezone: "Pacific/Auckland",
    now: new Date("2026-10-06T01:00:00Z"),
    edges: [
      new Date("2026-09-26T13:59:00Z"),
      new Date("2026-09-26T14:00:00Z"),
      new Date("2026-09-30T10:59:00Z"),
      new Date("2026-09-30T11:00:00Z"),
    ],
    edgeDays: ["2026-09-27", "2026-09-27", "2026-09-30", "2026-10-01"],
    period: { start: new Date("2026-09-30T11:00:00Z"), end: new Date("2026-10-31T11:00:00Z") },
  },
  {
    timezone: "UTC",
    now: new Date("2026-11-28T23:30:00Z"),
    edges: [new Date("2026-10-31T23:59:59Z"), new Date("2026-11-01T00:00:00Z")],
    edgeDays: ["2026-10-31", "2026-11-01"],
    period: { start: new Date("2026-11-01T00:00:00Z"), end: new Date("2026-12-01T00:00:00Z") },
  },
];

describe.each(dbKinds)("months, days and streaks in the user's time zone on %s", (kind) => {
  const suite = useTestDb(kind);

  it.each(scenarios)("$timezone", async ({ timezone, now, edges, edgeDays, period }) => {
    expect(edges.map((e) => localDay(e, timezone))).toEqual(edgeDays); // the reference agrees on the edges
    const api = callerFor(suite.handle, { now: () => now });
    const userId = newUserId();
    await api.usage.setUserPlan({ userId, tier: "pro", timezone });

    // Events from the start of last month until now: the edges, both sides of a gap, and random ones.
    const random = seededRandom(timezone.length * 7919);
    const windowStart = period.start.getTime() - 27 * 86_400_000;
    const events = [...edges, now, new Date(now.getTime() - 86_400_000)];
    for (let i = 0; i < 40; i++) {
      events.push(new Date(windowStart + Math.floor(random() * (now.getTime() - windowStart))));
    }
    const expectedSeconds = new Map<string, number>();
    for (const [i, at] of events.entries()) {
      const seconds = 1 + Math.floor(random() * 600);
      const result = await api.usage.recordUsage({
        userId,
        seconds,
        conversations: 1,
        occurredAt: at,
      });
      const month = localDay(at, timezone).slice(0, 7);
      expect(result.usage.month, `event ${i} at ${at.toISOString()}`).toBe(month);
      expectedSeconds.set(month, (expectedSeconds.get(month) ?? 0) + seconds);
    }

    const history = await api.usage.getUsageHistory({ userId });
    expect(Object.fromEntries(history.map((m) => [m.month, m.seconds]))).toEqual(
      Object.fromEntries(expectedSeconds),
    );
    const current = await api.usage.getCurrentUsage({ userId });
    expect(current.period).toEqual(period);
    expect((await api.usage.canUseFeature({ userId, feature: "seconds" })).resetsAt).toEqual(
      period.end,
    );

    const reference = referenceStreaks(
      events.map((e) => localDay(e, timezone)),
      localDay(now, timezone),
    );
    const life = await api.usage.getLifetimeStats({ userId });
    expect({
      daysActive: life.daysActive,
      longestStreak: life.longestStreak,
      currentStreak: life.currentStreak,
    }).toEqual(reference);
    expect(life.currentStreak).toBeGreaterThanOrEqual(2);
    expect(life.totalConversations).toBe(events.length);
    // Two months active (last and this): conversations / 2, rounded.
    expect(life.averageSessionsPerMonth).toBe(Math.round(events.length / 2));
  });

  it("ends the current streak after a missed day and keeps the longest", async () => {
    const userId = newUserId();
    const day = (d: number) => new Date(Date.UTC(2026, 10, d, 12));
    const record = callerFor(suite.handle, { now: () => day(20) });
    for (const d of [1, 2, 3, 4, 10, 11, 19, 20]) {
      await record.usage.recordUsage({ userId, seconds: 1, occurredAt: day(d) });
    }
    const on = (d: number) =>
      callerFor(suite.handle, { now: () => day(d) }).usage.getLifetimeStats({ userId });
    expect(await on(20)).toMatchObject({ daysActive: 8, currentStreak: 2, longestStreak: 4 });
    expect(await on(21)).toMatchObject({ currentStreak: 2 }); // yesterday still counts
    expect(await on(22)).toMatchObject({ currentStreak: 0, longestStreak: 4 });
    // A late event fills the gap: 1–4 and 10–11 stay apart, 19–20 grows backwards.
    await record.usage.recordUsage({ userId, seconds: 1, occurredAt: day(18) });
    expect(await on(20)).toMatchObject({ daysActive: 9, currentStreak: 3, longestStreak: 4 });
  });
});
