import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, useTestDb } from "./db";
import { refusalOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const FIRST = new Date("2026-11-01T12:00:00Z");

/**
 * The current month's candidates who are there only for their pace, cut at every `limit`: each
 * cut must be the first `limit` of the whole list, ranked by what moving up brings from the
 * month's plan, then by id. The learners (ids in the order PostgreSQL and JavaScript agree on):
 * on Plus, `p01`–`p06` and `p08` at a slow pace (1 realtime session on the 1st: 1/15 a day
 * never reaches 100) and `p07`, `p09` at their 100 sessions (reached today); on Free, `f01`–`f05`
 * slow, `f06` and `f07` at their 5, `f08` at its 5 and then refused a 6th; `m01`, on Plus now,
 * used 100 sessions on Free yesterday (its month's plan: Free) and then moved up. What each brings:
 * Plus → Pro 10.00, Free → Plus 9.99 (the catalog's prices). So the list is `p07`, `p09`
 * (10.00), then at 9.99 `f08` (a refusal ranks first), `f06`, `f07`, `m01` (by id).
 */
describe.each(dbKinds)("upgradeCandidates cut at any limit on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });
  const sessions = async (userId: string, tier: "free" | "plus", n: number, at: Date) => {
    await api(at).usage.setUserPlan({ userId, tier });
    await api(at).usage.recordUsage({ userId, realtimeSessions: n, occurredAt: at });
  };

  it("is the whole list's first `limit`, ranked by the month's plan", async () => {
    const slow = (id: string, tier: "free" | "plus") => sessions(id, tier, 1, FIRST);
    for (const n of [1, 2, 3, 4, 5, 6, 8]) await slow(`p0${n}`, "plus");
    for (const n of [1, 2, 3, 4, 5]) await slow(`f0${n}`, "free");
    for (const id of ["p07", "p09"]) await sessions(id, "plus", 100, NOW);
    for (const id of ["f06", "f07", "f08"]) await sessions(id, "free", 5, NOW);
    expect(
      await refusalOf(
        api().usage.recordUsage({ userId: "f08", realtimeSessions: 1, enforceLimits: true }),
      ),
    ).toMatchObject({ feature: "realtimeSessions" });
    await sessions("m01", "free", 100, new Date("2026-11-14T12:00:00Z"));
    await api().usage.setUserPlan({ userId: "m01", tier: "plus" });

    const list = async (limit: number) =>
      (await api().analytics.upgradeCandidates({ month: "2026-11", limit })).candidates;
    const whole = await list(1000);
    expect(whole.map((c) => [c.userId, c.tier, c.worth])).toEqual([
      ["p07", "plus", "10.00"],
      ["p09", "plus", "10.00"],
      ["f08", "free", "9.99"],
      ["f06", "free", "9.99"],
      ["f07", "free", "9.99"],
      ["m01", "free", "9.99"],
    ]);
    for (let limit = 1; limit <= whole.length; limit++)
      expect(await list(limit)).toEqual(whole.slice(0, limit));
  });
});
