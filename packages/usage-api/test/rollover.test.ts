import { describe, expect, it } from "vitest";
import { defaultTiers, defineTiers } from "../src";
import type { Tiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { refusalOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const at = (iso: string) => new Date(iso);

/** The default tiers, with Anki exports rolling over: free for a month, plus for two (≤ 15). */
const tiers: Tiers = defineTiers({
  ...defaultTiers,
  free: { ...defaultTiers.free, ankiExports: { limit: 3, rollover: { months: 1 } } },
  plus: { ...defaultTiers.plus, ankiExports: { limit: 50, rollover: { months: 2, max: 15 } } },
});

describe.each(dbKinds)("rollover on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now, tiers });
  const exports = (userId: string, n: number, now = NOW, more = {}) =>
    api(now).usage.recordUsage({ userId, ankiExports: n, ...more });
  const check = (userId: string, now = NOW) =>
    api(now).usage.canUseFeature({ userId, feature: "ankiExports" });

  it("adds last month's unused allowance, used after this month's own and before grants", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "free", timezone: "Pacific/Kiritimati" });
    await exports(userId, 1, NOW, { occurredAt: at("2026-10-20T12:00:00Z") });
    expect(await check(userId)).toMatchObject({ used: 0, limit: 5, rolledOver: 2, granted: 0 });
    await api().usage.grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 1,
      reason: "goodwill",
    });
    const enforced = { enforceLimits: true };
    for (let i = 0; i < 5; i++) await exports(userId, 1, NOW, enforced);
    // Own 3 and the 2 rolled over are used; the grant is not touched yet.
    expect(await check(userId)).toMatchObject({ used: 5, limit: 6, rolledOver: 2, granted: 1 });
    expect((await api().usage.getLifetimeStats({ userId })).usedFromGrants).toEqual({});
    await exports(userId, 1, NOW, enforced);
    expect((await api().usage.getLifetimeStats({ userId })).usedFromGrants).toEqual({
      ankiExports: 1,
    });
    expect(await refusalOf(exports(userId, 1, NOW, enforced))).toMatchObject({
      used: 6,
      limit: 6,
    });
    const current = await api().usage.getCurrentUsage({ userId });
    expect(current.features.ankiExports).toMatchObject({ used: 6, rolledOver: 2, granted: 1 });
  });

  it("changes with the learner's own month, in a zone far from UTC", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "free", timezone: "Pacific/Kiritimati" });
    await exports(userId, 1);
    // Nov 30, 23:59:59.999 in Kiritimati (UTC+14): still November, nothing before it to roll.
    const lastInstant = at("2026-11-30T09:59:59.999Z");
    expect(await check(userId, lastInstant)).toMatchObject({ used: 1, limit: 3, rolledOver: 0 });
    // Ten hours before December starts in UTC, it has started there: 2 of November roll over.
    const december = at("2026-11-30T10:00:00Z");
    expect(await check(userId, december)).toMatchObject({
      used: 0,
      limit: 5,
      rolledOver: 2,
      resetsAt: at("2026-12-31T10:00:00Z"),
    });
    // A plan change: plus rolls over two months (November's at the free tier it was used on).
    await api(december).usage.setUserPlan({ userId, tier: "plus" });
    expect(await check(userId, december)).toMatchObject({ limit: 52, rolledOver: 2 });
    // Pro has no limit on exports: nothing to roll over.
    await api(december).usage.setUserPlan({ userId, tier: "pro" });
    expect(await check(userId, december)).toMatchObject({ limit: null, rolledOver: 0 });
    // Back on free: November's unused part again.
    await api(december).usage.setUserPlan({ userId, tier: "free" });
    expect(await check(userId, december)).toMatchObject({ limit: 5, rolledOver: 2 });
  });

  it("does not count a month twice, stops at max, and gives nothing before the first usage", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "plus" });
    expect(await check(userId)).toMatchObject({ limit: 50, rolledOver: 0 });
    await exports(userId, 10, at("2026-09-10T12:00:00Z")); // 40 unused
    await exports(userId, 70, at("2026-10-10T12:00:00Z")); // 20 past its own: from September's
    // Left of September's 40: 20 — at most 15.
    expect(await check(userId)).toMatchObject({ used: 0, limit: 65, rolledOver: 15 });
    const drift = await findDrift(suite.handle.db, { tiers, now: NOW });
    expect(drift.filter((d) => JSON.stringify(d).includes(userId))).toEqual([]);
  });

  it("charges a month's overuse to what rolled into it, and plans a rolling tier's writes", async () => {
    const userId = newUserId();
    await api().usage.setUserPlan({ userId, tier: "plus" });
    await exports(userId, 45, at("2026-09-10T12:00:00Z")); // 5 unused
    await exports(userId, 52, at("2026-10-10T12:00:00Z")); // 2 past its own, from September's
    // 3 of September's 5 left (under the max of 15); October itself left nothing.
    expect(await check(userId)).toMatchObject({ used: 0, limit: 53, rolledOver: 3 });

    // Free rolls a month over: with 2 of October's and no grant, 5 enforced exports fit, not 3.
    const ana = newUserId();
    await exports(ana, 1, NOW, { occurredAt: at("2026-10-20T12:00:00Z") });
    for (let i = 0; i < 5; i++) await exports(ana, 1, NOW, { enforceLimits: true });
    expect(await refusalOf(exports(ana, 1, NOW, { enforceLimits: true }))).toMatchObject({
      used: 5,
      limit: 5,
    });
  });
});
