import { describe, expect, it } from "vitest";
import { statementFailedCleanly } from "../src/record/retry";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");

/** Edges a mutation hunt found untested: each case fails when its rule is bent. */
describe.each(dbKinds)("edges of the rules on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = () => suite.api.usage;

  it("judges only the features an event uses: a user past one hard limit may use another", async () => {
    const userId = newUserId();
    await api().recordUsage({ userId, customPhrases: 15 }); // past free's 10, unenforced
    const one = await api().recordUsage({ userId, conversations: 1, enforceLimits: true });
    expect(one.recorded).toBe(true);
    const batch = await api().recordUsageBatch({
      events: [{ userId, conversations: 1, enforceLimits: true }],
    });
    expect(batch.results.map((r) => r.status)).toEqual(["recorded"]);
    expect(await api().canUseFeature({ userId, feature: "conversations" })).toMatchObject({
      allowed: true,
      used: 2,
    });
  });

  it("answers a user with no row this month: nothing used, the whole limit allowed", async () => {
    const userId = newUserId();
    expect(
      await api().canUseFeature({ userId, feature: "conversations", amount: 20 }),
    ).toMatchObject({ allowed: true, used: 0, limit: 20, remaining: 20 });
    expect(
      (await api().canUseFeature({ userId, feature: "conversations", amount: 21 })).allowed,
    ).toBe(false);
  });

  it("starts the late-event window at the previous month's start in the user's zone", async () => {
    const userId = newUserId();
    await api().setUserPlan({ userId, tier: "free", timezone: "America/New_York" });
    // 1 October 00:00 in New York is 04:00 UTC.
    const late = await trpcError(
      api().recordUsage({ userId, seconds: 1, occurredAt: new Date("2026-10-01T03:59:59Z") }),
    );
    expect([late.code, late.message]).toEqual([
      "BAD_REQUEST",
      expect.stringContaining("previous month"),
    ]);
    const first = await api().recordUsage({
      userId,
      seconds: 1,
      occurredAt: new Date("2026-10-01T04:00:00Z"),
    });
    expect(first.usage.month).toBe("2026-10");
    // In December, 31 October (the last day of a 31-day month) is still in the window.
    const december = callerFor(suite.handle, { now: () => new Date("2026-12-15T12:00:00Z") }).usage;
    const before = await trpcError(
      december.recordUsage({ userId, seconds: 1, occurredAt: new Date("2026-11-01T03:59:59Z") }),
    );
    expect(before.code).toBe("BAD_REQUEST");
    expect(
      (
        await december.recordUsage({
          userId,
          seconds: 1,
          occurredAt: new Date("2026-11-01T04:00:00Z"),
        })
      ).usage.month,
    ).toBe("2026-11");
  });

  it("rounds overage money to the nearest cent, as the bills say", async () => {
    const userId = newUserId();
    await api().setUserPlan({ userId, tier: "plus" });
    // 10 h + 50 s on plus: 50 s over at $0.03 a minute is $0.025, billed $0.03.
    await api().recordUsage({ userId, seconds: 10 * 3600 + 50 });
    const [bill] = await api().getBillingHistory({ userId, months: 1 });
    expect(bill).toMatchObject({ overage: "0.03", overageUnits: { seconds: 50 } });
    const report = await suite.api.analytics.overage({ month: "2026-11", limit: 100 });
    expect(report.users.find((u) => u.userId === userId)?.amount).toBe("0.03");
  });

  it("tells a retried key apart from another payload by every amount and occurredAt", async () => {
    const userId = newUserId();
    const at = new Date("2026-11-10T10:00:00Z");
    await api().recordUsage({
      userId,
      idempotencyKey: "k",
      ankiExports: 1,
      conversations: 1,
      occurredAt: at,
    });
    const results = await api().recordUsageBatch({
      events: [
        { userId, idempotencyKey: "k", ankiExports: 1, conversations: 1, occurredAt: at },
        { userId, idempotencyKey: "k", ankiExports: 1, conversations: 2, occurredAt: at },
        {
          userId,
          idempotencyKey: "k",
          ankiExports: 1,
          conversations: 1,
          occurredAt: new Date("2026-11-10T10:00:01Z"),
        },
        // Another user's "k" is another key.
        { userId: newUserId(), idempotencyKey: "k", seconds: 5 },
      ],
    });
    expect(results.results.map((r) => (r.status === "invalid" ? r.error.code : r.status))).toEqual([
      "duplicate",
      "CONFLICT",
      "CONFLICT",
      "recorded",
    ]);
    const single = await trpcError(
      api().recordUsage({
        userId,
        idempotencyKey: "k",
        ankiExports: 1,
        conversations: 3,
        occurredAt: at,
      }),
    );
    expect(single.code).toBe("CONFLICT");
  });
});

describe("which failures prove a statement wrote nothing (group commit re-runs only those)", () => {
  const wrapped = (e: object) =>
    Object.assign(new Error("query failed"), { cause: Object.assign(new Error("db"), e) });
  it.each([
    [{ code: "23505", severity: "ERROR" }, true],
    [{ code: "P0001", severity: "ERROR" }, true],
    [{ code: "57P01" }, false],
    [{ code: "57P01", severity: "FATAL" }, false],
    [{ code: "57014", severity: "ERROR" }, false],
    [{ code: "08006", severity: "ERROR" }, false],
    [{ code: "58030", severity: "ERROR" }, false],
    [{ code: "XX000", severity: "ERROR" }, false],
    [{ code: "53300", severity: "ERROR" }, false],
    [{ code: "P0001", severity: "FATAL" }, false],
    [{ code: "ECONNRESET" }, false],
    [{}, false],
  ])("%j → %s", (fields, clean) => {
    expect(statementFailedCleanly(wrapped(fields))).toBe(clean);
  });
});
