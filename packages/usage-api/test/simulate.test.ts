import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import type { Feature, TierName } from "../src/limits/tiers";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const H = 3600;
const NOW = new Date("2026-11-28T12:00:00Z");
type Amounts = Partial<Record<Feature, number>>;

/** The draft the tests try: Free's conversations halved, more exports, Plus's time cut to 5 h at a higher rate and dearer. */
const draft = {
  tiers: {
    free: { limits: { conversations: 10, ankiExports: 5 } },
    plus: {
      price: "12.99",
      limits: { seconds: { limit: 5 * H, overage: { price: "0.05", perUnits: 60 } } },
    },
  },
};

interface Planted {
  userId: string;
  at: string;
  amounts: Amounts;
  enforce: boolean;
  tier: TierName;
  /** Refused in reality: the feature that refused it. */
  refused?: Feature;
  /** Overage units a grant covered (the ledger's `covered`): no one pays for them. */
  covered?: Amounts;
}

/**
 * The plain replay the database must agree with: per learner, in time order, each event (and
 * each attempt refused in reality, as what it asked of that feature) at its tier under `limits`,
 * accepted when it fits every hard limit on top of what was accepted before.
 */
function replayInTs(
  planted: Planted[],
  limitOf: (
    tier: TierName,
    f: Feature,
  ) => { hard: number | null; soft: number | null; price?: [number, number] },
  priceOf: (tier: TierName) => string,
  payments: { tier: TierName; amount: string }[],
) {
  const byTier = new Map<
    TierName,
    {
      learners: Set<string>;
      refusedEvents: number;
      refused: Map<Feature, Set<string>>;
      cents: number;
      candidates: Set<string>;
    }
  >();
  const side = (t: TierName) => {
    if (!byTier.has(t))
      byTier.set(t, {
        learners: new Set(),
        refusedEvents: 0,
        refused: new Map(),
        cents: 0,
        candidates: new Set(),
      });
    return byTier.get(t)!;
  };
  const users = [...new Set(planted.map((p) => p.userId))];
  for (const u of users) {
    const events = planted.filter((p) => p.userId === u);
    const tier = events.at(-1)!.tier;
    const s = side(tier);
    s.learners.add(u);
    const acc: Partial<Record<Feature, number>> = {};
    const units = new Map<string, { units: number; price: [number, number] }>();
    for (const e of events) {
      const over = (Object.keys(e.amounts) as Feature[]).filter((f) => {
        const { hard } = limitOf(e.tier, f);
        return (e.amounts[f] ?? 0) > 0 && hard !== null && (acc[f] ?? 0) + e.amounts[f]! > hard;
      });
      if (over.length > 0) {
        s.refusedEvents++;
        s.candidates.add(u);
        for (const f of over) s.refused.set(f, (s.refused.get(f) ?? new Set()).add(u));
        continue;
      }
      for (const [f, n] of Object.entries(e.amounts) as [Feature, number][]) {
        const before = acc[f] ?? 0;
        acc[f] = before + n;
        const { soft, price } = limitOf(e.tier, f);
        if (soft === null || !price) continue;
        const added =
          Math.max(0, before + n - soft) - Math.max(0, before - soft) - (e.covered?.[f] ?? 0);
        const key = `${e.tier} ${f}`;
        units.set(key, { units: (units.get(key)?.units ?? 0) + added, price });
      }
    }
    for (const [key, { units: n, price }] of units) {
      if (n <= 0) continue;
      const t = key.split(" ")[0] as TierName;
      side(t).cents += Math.round((n * price[0]) / price[1]);
      s.candidates.add(u);
    }
  }
  const money = (cents: number) =>
    `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
  return Object.fromEntries(
    (["free", "plus", "pro"] as TierName[]).map((t) => {
      const s = byTier.get(t);
      const paid = payments.filter((p) => p.tier === t);
      return [
        t,
        {
          learners: s?.learners.size ?? 0,
          refusedLearners: Object.fromEntries(
            [...(s?.refused ?? [])].map(([f, set]) => [f, set.size]),
          ),
          refusedEvents: s?.refusedEvents ?? 0,
          subscriptionRevenue: money(paid.length * Math.round(Number(priceOf(t)) * 100)),
          overageMoney: money(s?.cents ?? 0),
          upgradeCandidates: s?.candidates.size ?? 0,
        },
      ];
    }),
  );
}

/** A tier's limits in the catalog or the draft, as the replay reads them. */
const limitsFrom = (tiers: typeof defaultTiers) => (tier: TierName, f: Feature) => {
  const l = tiers[tier][f];
  if (l.overage) {
    const [whole, part = ""] = l.overage.price.split(".");
    const cents = Number(whole) * 100 + Number((part + "00").slice(0, 2));
    return { hard: null, soft: l.limit, price: [cents, l.overage.perUnits] as [number, number] };
  }
  return { hard: l.limit, soft: null };
};

describe.each(dbKinds)("analytics.simulateCatalog on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now });
  const planted: Planted[] = [];
  const payments: { tier: TierName; amount: string }[] = [];

  async function record(
    userId: string,
    at: string,
    amounts: Amounts,
    tier: TierName,
    enforce = false,
  ) {
    const entry: Planted = { userId, at, amounts, enforce, tier };
    try {
      await api(new Date(at)).usage.recordUsage({
        userId,
        occurredAt: new Date(at),
        enforceLimits: enforce,
        idempotencyKey: `${userId}-${planted.length}`,
        ...amounts,
      });
    } catch (error) {
      const e = await trpcError(Promise.reject(error));
      expect(e.code).toBe("FORBIDDEN");
      entry.refused = (Object.keys(amounts) as Feature[]).find((f) => (amounts[f] ?? 0) > 0);
      entry.amounts = { [entry.refused!]: amounts[entry.refused!] };
    }
    planted.push(entry);
  }
  async function plan(userId: string, tier: TierName, at: string, timezone?: string) {
    await api(new Date(at)).usage.setUserPlan({ userId, tier, ...(timezone && { timezone }) });
  }
  async function pay(userId: string, tier: TierName, at: string) {
    const amount = tier === "plus" ? "9.99" : "19.99";
    await api(new Date(at)).usage.recordPayment({
      userId,
      tier,
      amount,
      paidAt: new Date(at),
      idempotencyKey: `pay-${userId}-${at}`,
    });
    payments.push({ tier, amount });
  }

  it("agrees with a plain replay, for the real catalog and a draft", async () => {
    const freeA = newUserId();
    const farAway = newUserId();
    const switcher = newUserId();
    const plusC = newUserId();
    const pro = newUserId();
    const exporter = newUserId();
    const topped = newUserId();
    const upgrader = newUserId();
    const lateTop = newUserId();
    const day = (d: number, h = 10) =>
      `2026-11-${String(d).padStart(2, "0")}T${String(h).padStart(2, "0")}:00:00Z`;
    // Free: 12 conversations, 3 exports and a 4th refused in reality.
    await plan(freeA, "free", day(1, 0));
    for (let d = 1; d <= 12; d++)
      await record(freeA, day(d), { conversations: 1, seconds: 60 }, "free", true);
    for (let k = 0; k < 4; k++)
      await record(freeA, day(13, 10 + k), { ankiExports: 1 }, "free", true);
    // Far from UTC (UTC+14): 00:30 on 1 November there is 31 October in UTC.
    await plan(farAway, "free", "2026-10-30T00:00:00Z", "Pacific/Kiritimati");
    await record(farAway, "2026-10-31T10:30:00Z", { conversations: 1 }, "free");
    for (let d = 2; d <= 13; d++) await record(farAway, day(d), { conversations: 1 }, "free");
    // Free then Plus from the 11th: 9 conversations, then on Plus 9 h and one event crossing 10 h.
    await plan(switcher, "free", day(1, 0));
    for (let d = 2; d <= 10; d++)
      await record(switcher, day(d), { conversations: 1 }, "free", true);
    await plan(switcher, "plus", day(11, 0));
    await pay(switcher, "plus", day(11, 1));
    await record(switcher, day(11), { conversations: 1, seconds: 9 * H }, "plus");
    await record(switcher, day(12), { conversations: 1, seconds: 3 * H }, "plus");
    // Plus in New York: 4 h three times (the third crosses 10 h), and 2 exports.
    await plan(plusC, "plus", day(1, 0), "America/New_York");
    await pay(plusC, "plus", day(1, 12));
    for (let d = 3; d <= 5; d++)
      await record(plusC, day(d, 15), { seconds: 4 * H, ankiExports: 1 }, "plus");
    // The second of them refunded by half: it counts as 2 h (a correction nets into its event).
    const second = planted.findIndex((p) => p.userId === plusC && p.at === day(4, 15));
    await api().usage.correctUsage({
      userId: plusC,
      idempotencyKey: "refund",
      correctsKey: `${plusC}-${second}`,
      reason: "cut short",
      seconds: 2 * H,
    });
    planted[second]!.amounts = { seconds: 2 * H, ankiExports: 1 };
    await plan(pro, "pro", day(1, 0));
    await pay(pro, "pro", day(1, 12));
    await record(pro, day(6), { seconds: 51 * H, conversations: 3 }, "pro");

    /** A 1-hour top-up on the 6th, then 10 h 30 min on Plus on the 7th: 30 min past 10 h it covers. */
    const toppedUp = async (userId: string) => {
      await api(new Date(day(6))).usage.grantUsage({
        userId,
        idempotencyKey: "top-up",
        feature: "seconds",
        amount: H,
        reason: "top-up",
      });
      await record(userId, day(7), { seconds: 10.5 * H }, "plus");
      planted.at(-1)!.covered = { seconds: 0.5 * H };
    };
    // Free: 2 conversations, 3 exports and a 4th refused — a month the draft (5 exports) takes whole.
    await plan(exporter, "free", day(1, 0));
    await record(exporter, day(8), { conversations: 2 }, "free", true);
    for (let k = 0; k < 4; k++)
      await record(exporter, day(9, 10 + k), { ankiExports: 1 }, "free", true);
    // Plus with a 1-hour top-up: 10 h 30 min in one event, 30 min past 10 h covered by the grant.
    await plan(topped, "plus", day(1, 0));
    await toppedUp(topped);
    // Free then Plus, a little of each: a month within every limit, but at two tiers (Plus's).
    await plan(upgrader, "free", day(1, 0));
    await record(upgrader, day(3), { conversations: 1 }, "free");
    await plan(upgrader, "plus", day(4, 0));
    await record(upgrader, day(5), { conversations: 1 }, "plus");
    // Free then Plus with a top-up: the covered 30 min of a month replayed event by event.
    await plan(lateTop, "free", day(1, 0));
    await record(lateTop, day(2), { conversations: 1 }, "free");
    await plan(lateTop, "plus", day(5, 0));
    await toppedUp(lateTop);

    const november = planted.filter((p) => p.at >= "2026-10-31T10:00:00Z");
    const real = await api().analytics.simulateCatalog({ draft: {}, fromMonth: "2026-11" });
    const prices = { free: "0.00", plus: "9.99", pro: "19.99" } as const;
    expect(Object.fromEntries(real.months[0]!.tiers.map((t) => [t.tier, t.actual]))).toEqual(
      replayInTs(november, limitsFrom(defaultTiers), (t) => prices[t], payments),
    );
    // An empty draft is reality, field for field.
    for (const t of real.months[0]!.tiers) expect(t.draft).toEqual(t.actual);
    const answer = await api().analytics.simulateCatalog({ draft, fromMonth: "2026-11" });
    const draftTiers = {
      ...defaultTiers,
      free: { ...defaultTiers.free, conversations: { limit: 10 }, ankiExports: { limit: 5 } },
      plus: {
        ...defaultTiers.plus,
        seconds: { limit: 5 * H, overage: { price: "0.05", perUnits: 60 } },
      },
    } as typeof defaultTiers;
    const expected = replayInTs(
      november,
      limitsFrom(draftTiers),
      (t) => ({ free: "0.00", plus: "12.99", pro: "19.99" })[t],
      payments,
    );
    expect(Object.fromEntries(answer.months[0]!.tiers.map((t) => [t.tier, t.draft]))).toEqual(
      expected,
    );
    // A number is a hard limit, as in the catalog: Plus's practice time capped at 5 h.
    const capped = await api().analytics.simulateCatalog({
      draft: { tiers: { plus: { limits: { seconds: 5 * H } } } },
      fromMonth: "2026-11",
    });
    const cappedTiers = {
      ...defaultTiers,
      plus: { ...defaultTiers.plus, seconds: { limit: 5 * H } },
    } as typeof defaultTiers;
    const cappedExpected = replayInTs(
      november,
      limitsFrom(cappedTiers),
      (t) => prices[t],
      payments,
    );
    expect(Object.fromEntries(capped.months[0]!.tiers.map((t) => [t.tier, t.draft]))).toEqual(
      cappedExpected,
    );
    expect(cappedExpected.plus!.refusedLearners.seconds).toBeGreaterThan(0);
    expect(cappedExpected.plus!.overageMoney).toBe("0.00");
    // Reality does not depend on the draft, however the draft's months are replayed.
    expect(answer.months[0]!.tiers.map((t) => t.actual)).toEqual(
      real.months[0]!.tiers.map((t) => t.actual),
    );
    // Something to check: the draft refuses Free conversations and lets the 4th export through.
    expect(expected.free!.refusedLearners).toEqual({ conversations: 2 });
    expect(expected.plus!.overageMoney).not.toBe("0.00");
  });

  it("refuses a draft that is not the catalog's shape, naming the path", async () => {
    const bad = async (d: unknown) =>
      (await trpcError(api().analytics.simulateCatalog({ draft: d, fromMonth: "2026-11" })))
        .message;
    expect(await bad({ tiers: { gold: {} } })).toMatch(/^draft\.tiers\.gold: /);
    expect(await bad({ tiers: { free: { limits: { quizzes: 3 } } } })).toMatch(
      /^draft\.tiers\.free\.limits\.quizzes: /,
    );
    expect(await bad({ tiers: { free: { limits: { conversations: -1 } } } })).toMatch(
      /^draft\.tiers\.free\.limits\.conversations: /,
    );
    expect(await bad({ tiers: { free: { limits: { conversations: 1.5 } } } })).toMatch(
      /^draft\.tiers\.free\.limits\.conversations: /,
    );
    expect(await bad({ tiers: { plus: { price: "9.999" } } })).toMatch(
      /^draft\.tiers\.plus\.price: /,
    );
    expect(await bad({ features: {} })).toMatch(/^draft\.features: /);
    for (const d of [{ tiers: { gold: {} } }])
      expect(
        (await trpcError(api().analytics.simulateCatalog({ draft: d, fromMonth: "2026-11" }))).code,
      ).toBe("BAD_REQUEST");
  });
});
