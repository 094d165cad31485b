import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { queryRows } from "@usagekit/db";
import { describe, expect, it } from "vitest";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");
type Answer = { results: { status: string }[] };
const statuses = (answer: Answer) => answer.results.map((r) => r.status);

// Each of these was found by a mutation of the batch paths that every other test let through.
describe.each(dbKinds)("a batch at its edges on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const rows = <T extends Record<string, unknown>>(query: SQL) =>
    queryRows<T>(suite.handle.db, query);

  for (const enforceLimits of [false, true])
    it(`takes an event at the window's first instant, not one before (enforceLimits ${enforceLimits})`, async () => {
      const userId = newUserId();
      await suite.api.usage.setUserPlan({ userId, tier: "pro", timezone: "America/New_York" });
      // New York's October starts at 04:00 UTC: the first instant the window holds.
      const answer = await suite.api.usage.recordUsageBatch({
        events: [
          { userId, seconds: 60, enforceLimits, occurredAt: new Date("2026-10-01T04:00:00.000Z") },
          { userId, seconds: 60, enforceLimits, occurredAt: new Date("2026-10-01T03:59:59.999Z") },
        ],
      });
      expect(statuses(answer)).toEqual(["recorded", "invalid"]);
      expect(
        await rows(sql`SELECT month::text FROM usagekit.usage_events WHERE user_id = ${userId}`),
      ).toEqual([{ month: "2026-10-01" }]);
    });

  it("logs a refused event's use, limit and request as they were", async () => {
    const userId = newUserId();
    await suite.api.usage.recordUsage({ userId, ankiExports: 2 });
    const answer = await suite.api.usage.recordUsageBatch({
      events: [{ userId, ankiExports: 2, enforceLimits: true, idempotencyKey: "r" }],
    });
    expect(statuses(answer)).toEqual(["refused"]);
    expect(
      await rows(sql`SELECT used::int AS "used", "limit"::int AS "limit", requested::int AS "requested"
        FROM usagekit.limit_refusals WHERE user_id = ${userId}`),
    ).toEqual([{ used: 2, limit: 3, requested: 2 }]);
  });

  it("logs a refusal in the learner's local month, where its events are", async () => {
    const userId = newUserId();
    // 30 Nov 12:00 UTC is 1 Dec 02:00 in Kiritimati.
    const api = callerFor(suite.handle, { now: () => new Date("2026-11-30T12:00:00Z") });
    await api.usage.setUserPlan({ userId, tier: "free", timezone: "Pacific/Kiritimati" });
    const answer = await api.usage.recordUsageBatch({
      events: [
        { userId, ankiExports: 3, enforceLimits: true, idempotencyKey: "a" },
        { userId, ankiExports: 1, enforceLimits: true, idempotencyKey: "b" },
      ],
    });
    expect(statuses(answer)).toEqual(["recorded", "refused"]);
    const month = sql`SELECT month::text FROM usagekit.`;
    expect(await rows(sql`${month}usage_events WHERE user_id = ${userId}`)).toEqual([
      { month: "2026-12-01" },
    ]);
    expect(await rows(sql`${month}limit_refusals WHERE user_id = ${userId}`)).toEqual([
      { month: "2026-12-01" },
    ]);
  });

  for (const enforceLimits of [false, true])
    it(`answers a retry of a key whose event left the window as a duplicate (enforceLimits ${enforceLimits})`, async () => {
      const userId = newUserId();
      const event = {
        userId,
        seconds: 60,
        idempotencyKey: "sept",
        occurredAt: new Date("2026-09-20T10:00:00Z"),
      };
      const september = callerFor(suite.handle, { now: () => new Date("2026-09-21T10:00:00Z") });
      await september.usage.recordUsage(event);
      const answer = await suite.api.usage.recordUsageBatch({
        events: [{ ...event, enforceLimits }],
      });
      expect(statuses(answer)).toEqual(["duplicate"]);
      expect(
        await rows(
          sql`SELECT count(*)::int AS n FROM usagekit.usage_events WHERE user_id = ${userId}`,
        ),
      ).toEqual([{ n: 1 }]);
    });
});
