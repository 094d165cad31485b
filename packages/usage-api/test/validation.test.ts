import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@usagekit/db";
import { createCaller, createTRPCContext } from "../src";
import { callerFor, dbKinds, newUserId, openTestDb } from "./db";
import { rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const TOKEN = "test-service-token-0123456789";
const existing = newUserId();

type Api = ReturnType<typeof callerFor>;
/** Calls that must be refused with BAD_REQUEST naming `field`. */
const badInputs: [string, string, (api: Api) => Promise<unknown>][] = [
  [
    "unknown key",
    "bogus",
    (api) => api.usage.recordUsage({ userId: existing, seconds: 1, bogus: 1 } as never),
  ],
  ["negative amount", "seconds", (api) => api.usage.recordUsage({ userId: existing, seconds: -1 })],
  [
    "fractional amount",
    "conversations",
    (api) => api.usage.recordUsage({ userId: existing, conversations: 1.5 }),
  ],
  [
    "NaN amount",
    "seconds",
    (api) => api.usage.recordUsage({ userId: existing, seconds: Number.NaN }),
  ],
  [
    "string amount",
    "seconds",
    (api) => api.usage.recordUsage({ userId: existing, seconds: "60" as never }),
  ],
  [
    "amount over int32",
    "seconds",
    (api) => api.usage.recordUsage({ userId: existing, seconds: 2 ** 31 }),
  ],
  ["no amount > 0", "amounts", (api) => api.usage.recordUsage({ userId: existing, seconds: 0 })],
  ["empty userId", "userId", (api) => api.usage.recordUsage({ userId: "", seconds: 1 })],
  [
    "userId over 128 characters",
    "userId",
    (api) => api.usage.recordUsage({ userId: "u".repeat(129), seconds: 1 }),
  ],
  ["userId with NUL", "userId", (api) => api.usage.recordUsage({ userId: "a\u0000b", seconds: 1 })],
  [
    "idempotencyKey with NUL",
    "idempotencyKey",
    (api) => api.usage.recordUsage({ userId: existing, seconds: 1, idempotencyKey: "k\u0000" }),
  ],
  [
    "timezone with NUL",
    "timezone",
    (api) => api.usage.setUserPlan({ userId: existing, tier: "plus", timezone: "UTC\u0000" }),
  ],
  [
    "__proto__ key",
    "__proto__",
    (api) =>
      api.usage.recordUsage(JSON.parse(`{"userId":"${existing}","seconds":1,"__proto__":{"x":1}}`)),
  ],
  [
    "occurredAt in year 10000",
    "occurredAt",
    (api) =>
      api.usage.recordUsage({
        userId: existing,
        seconds: 1,
        occurredAt: new Date("+010000-01-01"),
      }),
  ],
  [
    "paidAt in year 0",
    "paidAt",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "1.00",
        paidAt: new Date("0000-06-01T00:00:00Z"),
        idempotencyKey: "year-0",
      }),
  ],
  [
    "payment over the per-payment maximum",
    "amount",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "100000000.00",
        paidAt: NOW,
        idempotencyKey: "huge",
      }),
  ],
  ["analytics month 0099-05", "month", (api) => api.analytics.overage({ month: "0099-05" })],
  [
    "analytics month in the future",
    "month",
    (api) => api.analytics.featureAdoption({ month: "2027-01" }),
  ],
  [
    "retention from a future month",
    "fromMonth",
    (api) => api.analytics.retention({ fromMonth: "2027-02", months: 2 }),
  ],
  [
    "segments threshold over int32",
    "powerSeconds",
    (api) => api.analytics.userSegments({ month: "2026-11", powerSeconds: 2 ** 40 }),
  ],
  [
    "empty idempotencyKey",
    "idempotencyKey",
    (api) => api.usage.recordUsage({ userId: existing, seconds: 1, idempotencyKey: "" }),
  ],
  [
    "long idempotencyKey",
    "idempotencyKey",
    (api) =>
      api.usage.recordUsage({ userId: existing, seconds: 1, idempotencyKey: "k".repeat(201) }),
  ],
  [
    "occurredAt in the future",
    "occurredAt",
    (api) =>
      api.usage.recordUsage({
        userId: existing,
        seconds: 1,
        occurredAt: new Date(NOW.getTime() + 6 * 60_000),
      }),
  ],
  [
    "occurredAt before last month",
    "occurredAt",
    (api) =>
      api.usage.recordUsage({
        userId: existing,
        seconds: 1,
        occurredAt: new Date("2026-09-30T23:59:59Z"),
      }),
  ],
  [
    "occurredAt not a date",
    "occurredAt",
    (api) =>
      api.usage.recordUsage({ userId: existing, seconds: 1, occurredAt: "yesterday" as never }),
  ],
  ["service call without userId", "userId", (api) => api.usage.recordUsage({ seconds: 1 })],
  [
    "unknown feature",
    "feature",
    (api) => api.usage.canUseFeature({ userId: existing, feature: "teleport" as never }),
  ],
  [
    "amount 0 for canUseFeature",
    "amount",
    (api) => api.usage.canUseFeature({ userId: existing, feature: "seconds", amount: 0 }),
  ],
  [
    "history months 0",
    "months",
    (api) => api.usage.getUsageHistory({ userId: existing, months: 0 }),
  ],
  [
    "unknown tier",
    "tier",
    (api) => api.usage.setUserPlan({ userId: existing, tier: "gold" as never }),
  ],
  [
    "bad time zone",
    "timezone",
    (api) =>
      api.usage.setUserPlan({ userId: existing, tier: "plus", timezone: "Mars/Olympus_Mons" }),
  ],
  [
    "hand-made offset zone",
    "timezone",
    (api) => api.usage.setUserPlan({ userId: existing, tier: "plus", timezone: "+05:00" }),
  ],
  [
    "payment amount as a float",
    "amount",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: 9.99 as never,
        paidAt: NOW,
        idempotencyKey: "p",
      }),
  ],
  [
    "payment amount with 3 decimals",
    "amount",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "9.999",
        paidAt: NOW,
        idempotencyKey: "p",
      }),
  ],
  [
    "payment amount zero",
    "amount",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "0.00",
        paidAt: NOW,
        idempotencyKey: "p",
      }),
  ],
  [
    "payment amount negative",
    "amount",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "-5.00",
        paidAt: NOW,
        idempotencyKey: "p",
      }),
  ],
  [
    "payment in the future",
    "paidAt",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "5.00",
        paidAt: new Date(NOW.getTime() + 3_600_000),
        idempotencyKey: "p",
      }),
  ],
  [
    "payment without key",
    "idempotencyKey",
    (api) =>
      api.usage.recordPayment({
        userId: existing,
        tier: "plus",
        amount: "5.00",
        paidAt: NOW,
      } as never),
  ],
  [
    "new user with bad input",
    "seconds",
    (api) => api.usage.recordUsage({ userId: newUserId(), seconds: -5 }),
  ],
];

describe.each(dbKinds)("input and authorization on %s", (kind) => {
  let handle: DbHandle;
  let api: Api;
  const as = (
    opts: Parameters<typeof createTRPCContext>[0] extends infer O ? Omit<O & object, "db"> : never,
  ) =>
    createCaller(
      createTRPCContext({ serviceToken: TOKEN, now: () => NOW, ...opts, db: handle.db }),
    );

  beforeAll(async () => {
    handle = await openTestDb(kind);
    api = callerFor(handle, { now: () => NOW });
    await api.usage.recordUsage({ userId: existing, seconds: 100 });
  });
  afterAll(() => handle.close());

  it.each(badInputs)(
    "%s gets BAD_REQUEST naming %s and writes nothing",
    async (_name, field, call) => {
      const before = await rowCounts(handle.db);
      const error = await trpcError(call(api));
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.message).toContain(field);
      expect(await rowCounts(handle.db)).toEqual(before);
    },
  );

  it("lets a service (bearer token) act for any user", async () => {
    const service = as({ authorization: `Bearer ${TOKEN}` });
    const userId = newUserId();
    expect((await service.usage.recordUsage({ userId, seconds: 7 })).usage.seconds).toBe(7);
    expect((await service.usage.setUserPlan({ userId, tier: "pro" })).tier).toBe("pro");
  });

  it("lets an end user act for itself, with or without naming its id", async () => {
    const me = newUserId();
    const user = as({ userId: me });
    await user.usage.recordUsage({ seconds: 3 });
    await user.usage.recordUsage({ userId: me, seconds: 4 });
    expect((await user.usage.getCurrentUsage({})).seconds).toBe(7);
    expect((await user.usage.getLifetimeStats({ userId: me })).totalSeconds).toBe(7);
    expect((await user.usage.canUseFeature({ feature: "seconds" })).used).toBe(7);
    expect(await user.usage.getUsageHistory({})).toHaveLength(1);
  });

  it("forbids an end user another user's usage and the service-only procedures", async () => {
    const user = as({ userId: newUserId() });
    const before = await rowCounts(handle.db);
    for (const call of [
      user.usage.recordUsage({ userId: existing, seconds: 1 }),
      user.usage.getCurrentUsage({ userId: existing }),
      user.usage.getLifetimeStats({ userId: existing }),
      user.usage.getUsageHistory({ userId: existing }),
      user.usage.canUseFeature({ userId: existing, feature: "seconds" }),
      user.usage.setUserPlan({ userId: existing, tier: "pro" }),
      user.usage.recordPayment({
        userId: existing,
        tier: "pro",
        amount: "1.00",
        paidAt: NOW,
        idempotencyKey: "x",
      }),
    ]) {
      expect((await trpcError(call)).code).toBe("FORBIDDEN");
    }
    expect(await rowCounts(handle.db)).toEqual(before);
  });

  it.each([
    ["anonymous", {}],
    ["a wrong token", { authorization: "Bearer wrong-token-wrong-token" }],
    ["a wrong token next to a session", { authorization: "Bearer nope", userId: existing }],
    ["a malformed header", { authorization: TOKEN }],
    [
      "a service token when the configured one is too short",
      { authorization: "Bearer short", serviceToken: "short" },
    ],
    ["an empty token when none is configured", { authorization: "Bearer ", serviceToken: "" }],
  ])("refuses %s with UNAUTHORIZED whatever it sends", async (_name, opts) => {
    const caller = as(opts);
    const before = await rowCounts(handle.db);
    for (const call of [
      caller.usage.recordUsage({ userId: existing, seconds: 1 }),
      caller.usage.recordUsage({ bogus: true, seconds: -1 } as never),
      caller.usage.getCurrentUsage({ userId: existing }),
      caller.usage.getLifetimeStats({}),
      caller.usage.getUsageHistory({ months: -1 }),
      caller.usage.canUseFeature({ feature: "nope" as never }),
      caller.usage.setUserPlan({ userId: existing, tier: "pro" }),
      caller.usage.recordPayment({} as never),
    ]) {
      expect((await trpcError(call)).code).toBe("UNAUTHORIZED");
    }
    expect(await rowCounts(handle.db)).toEqual(before);
  });
});
