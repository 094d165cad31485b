import { describe, expect, it } from "vitest";
import { defaultTiers, defineTiers } from "../src";
import type { Tiers } from "../src";
import { callerFor, dbKinds, newUserId, openTestDb } from "./db";
import type { DbKind } from "./db";
import { trpcError } from "./helpers";

const H = 3600;
const NOW = new Date("2026-11-28T12:00:00Z");
type Tier = "free" | "plus" | "pro";
/** A tier's figures when nothing was refused, paid or billed (each case says what differs). */
const quiet = {
  learners: 1,
  refusedLearners: {},
  refusedEvents: 0,
  subscriptionRevenue: "0.00",
  overageMoney: "0.00",
  upgradeCandidates: 0,
};

/** One event refused in the month by `feature` (so the learner is a candidate). */
const refusedOnce = (feature: string) => ({
  ...quiet,
  refusedLearners: { [feature]: 1 },
  refusedEvents: 1,
  upgradeCandidates: 1,
});
const exportRefused = refusedOnce("ankiExports");

/** A tier's answer when the draft changes nothing of it: the draft's figures are reality's. */
const asIs = (tier: Tier, figures: ReturnType<typeof refusedOnce>) => ({
  tier,
  actual: figures,
  draft: figures,
});

/**
 * One learner's month planted on a fresh database, then the pricing lab asked about it. The
 * expected figures are the contract's, counted by hand in each case (default catalog: Free 3
 * exports and 20 conversations hard; Plus 10 h of practice soft at 0.03 per minute block and 100
 * realtime sessions; Pro 10 h of advanced voice hard).
 */
async function scenario(
  kind: DbKind,
  plant: (w: ReturnType<typeof world>) => Promise<void>,
  tiers?: Tiers,
) {
  const handle = await openTestDb(kind);
  try {
    await plant(world(handle, tiers));
  } finally {
    await handle.close();
  }
}

function world(handle: Awaited<ReturnType<typeof openTestDb>>, tiers?: Tiers) {
  const api = (at: string | Date = NOW) =>
    callerFor(handle, { now: () => new Date(at), ...(tiers ? { tiers } : {}) });
  const userId = newUserId();
  let n = 0;
  return {
    api,
    userId,
    /** An event at `at` (its own clock); "ok" or the refusal's code. */
    record: (at: string, amounts: object, enforceLimits = false) =>
      api(at)
        .usage.recordUsage({ userId, idempotencyKey: `k${n++}`, enforceLimits, ...amounts })
        .then(
          () => "ok",
          async (e: unknown) => (await trpcError(Promise.reject(e))).code,
        ),
    plan: (tier: Tier, at: string, timezone?: string) =>
      api(at).usage.setUserPlan({ userId, tier, ...(timezone ? { timezone } : {}) }),
    pay: (at: string, amount: string, kind?: "topUp") =>
      api(at).usage.recordPayment({
        userId,
        tier: "plus",
        amount,
        paidAt: new Date(at),
        idempotencyKey: at + (kind ?? ""),
        ...(kind ? { kind } : {}),
      }),
    /** The tier's `{ actual, draft }` in the `index`th month of the answer. */
    lab: async (draft: unknown, tier: Tier, fromMonth = "2026-11", months = 1, index = 0) => {
      const answer = await api().analytics.simulateCatalog({ draft, fromMonth, months });
      return answer.months[index]!.tiers.find((t) => t.tier === tier)!;
    },
  };
}

/** Free from 1 November with one export granted: 3 exports from the tier, the 4th the grant's. */
async function exportsOneGranted(w: ReturnType<typeof world>) {
  await w.plan("free", "2026-11-01T00:00:00Z");
  await w.api("2026-11-01T12:00:00Z").usage.grantUsage({
    userId: w.userId,
    idempotencyKey: "g",
    feature: "ankiExports",
    amount: 1,
    reason: "gift",
  });
  for (const day of ["02", "03", "04", "05"])
    expect(await w.record(`2026-11-${day}T10:00:00Z`, { ankiExports: 1 }, true)).toBe("ok");
}

describe.each(dbKinds)("the pricing lab at its edges on %s", (kind) => {
  it("lifts a hard limit with null, after a tier the draft only prices", async () => {
    await scenario(kind, async (w) => {
      await w.plan("pro", "2026-11-01T00:00:00Z");
      expect(await w.record("2026-11-02T10:00:00Z", { advancedVoiceSeconds: 10 * H }, true)).toBe(
        "ok",
      );
      expect(await w.record("2026-11-03T10:00:00Z", { advancedVoiceSeconds: H }, true)).toBe(
        "FORBIDDEN",
      );
      const refused = refusedOnce("advancedVoiceSeconds");
      expect(await w.lab({}, "pro")).toEqual(asIs("pro", refused));
      const lifted = await w.lab(
        { tiers: { plus: { price: "12.99" }, pro: { limits: { advancedVoiceSeconds: null } } } },
        "pro",
      );
      // The refused hour is allowed: counted, and nothing refuses or binds any more.
      expect(lifted).toEqual({ tier: "pro", actual: refused, draft: quiet });
    });
  });

  it("refuses what the catalog's own rules refuse, naming the draft's path", async () => {
    await scenario(kind, async (w) => {
      const soft = (limit: number) => ({ limit, overage: { price: "0.05", perUnits: 60 } });
      const cases: [unknown, string][] = [
        // More than Plus allows (100): the limit the draft set is named, not Plus's.
        [
          { free: { limits: { conversations: 500 } } },
          "draft.tiers.free.limits.conversations.limit must be <= tiers.plus.limits.conversations.limit",
        ],
        [
          { plus: { limits: { conversations: 10 } } },
          "draft.tiers.plus.limits.conversations.limit must be >= tiers.free.limits.conversations.limit",
        ],
        [
          { free: { limits: { conversations: { limit: 5, overage: soft(5).overage } } } },
          "draft.tiers.free.limits.conversations: only billable features",
        ],
        [
          { plus: { limits: { seconds: soft(-1) } } },
          "draft.tiers.plus.limits.seconds.limit must be",
        ],
        [
          { plus: { limits: { seconds: soft(1.5) } } },
          "draft.tiers.plus.limits.seconds.limit must be",
        ],
        [
          { plus: { limits: { seconds: { limit: 60, overage: { price: "0.03", perUnits: 0 } } } } },
          "draft.tiers.plus.limits.seconds.overage needs",
        ],
        [
          {
            plus: { limits: { seconds: { limit: 60, overage: { price: "0.055", perUnits: 60 } } } },
          },
          "draft.tiers.plus.limits.seconds.overage.price: a decimal string with at most 2 decimals",
        ],
        [{ free: { limits: 5 } }, "draft.tiers.free.limits: must be an object"],
        [{ free: { prise: "1.00" } }, "draft.tiers.free.prise: "],
        [
          { free: { limits: { conversations: { limit: 5 } } } },
          "draft.tiers.free.limits.conversations: ",
        ],
      ];
      for (const [tiers, message] of cases) {
        const error = await trpcError(w.lab({ tiers }, "free"));
        expect(error.code).toBe("BAD_REQUEST");
        expect(error.message.startsWith(message), error.message).toBe(true);
      }
    });
  });

  it("counts a refusal in the learner's local month, east of UTC", async () => {
    await scenario(kind, async (w) => {
      // 10:10 UTC on 31 October is 00:10 on 1 November in Kiritimati (UTC+14).
      await w.plan("free", "2026-10-30T00:00:00Z", "Pacific/Kiritimati");
      expect(await w.record("2026-10-31T10:10:00Z", { ankiExports: 3 }, true)).toBe("ok");
      expect(await w.record("2026-10-31T10:20:00Z", { ankiExports: 1 }, true)).toBe("FORBIDDEN");
      expect(await w.lab({}, "free")).toEqual(asIs("free", exportRefused));
      expect((await w.lab({}, "free", "2026-10")).actual.learners).toBe(0);
    });
  });

  it("counts a refusal in the learner's local month, west of UTC", async () => {
    await scenario(kind, async (w) => {
      // 1 November 00:00–01:00 UTC is still 31 October in New York.
      await w.plan("free", "2026-10-01T00:00:00Z", "America/New_York");
      expect(await w.record("2026-11-01T00:00:00Z", { ankiExports: 3 }, true)).toBe("ok");
      expect(await w.record("2026-11-01T01:00:00Z", { ankiExports: 1 }, true)).toBe("FORBIDDEN");
      expect(await w.lab({}, "free", "2026-10")).toEqual(asIs("free", exportRefused));
      expect((await w.lab({}, "free")).actual.learners).toBe(0);
    });
  });

  it("keeps a refusal in the month it happened in when the learner's zone changes later", async () => {
    await scenario(kind, async (w) => {
      // Refused at 12:00 UTC on 31 October in UTC; from 2 November the learner lives in
      // Kiritimati, where that instant is already 1 November. The refusal stays in October.
      await w.plan("free", "2026-10-01T00:00:00Z");
      expect(await w.record("2026-10-31T11:00:00Z", { ankiExports: 3 }, true)).toBe("ok");
      expect(await w.record("2026-10-31T12:00:00Z", { ankiExports: 1 }, true)).toBe("FORBIDDEN");
      await w.plan("free", "2026-11-02T00:00:00Z", "Pacific/Kiritimati");
      expect(await w.lab({}, "free", "2026-10")).toEqual(asIs("free", exportRefused));
      const november = await w.lab({}, "free");
      expect([november.actual.learners, november.draft.learners]).toEqual([0, 0]);
    });
  });

  it("replays a hard limit with what the month took from a grant", async () => {
    await scenario(kind, async (w) => {
      await exportsOneGranted(w);
      // Then two refused.
      for (const day of ["06", "07"])
        expect(await w.record(`2026-11-${day}T10:00:00Z`, { ankiExports: 1 }, true)).toBe(
          "FORBIDDEN",
        );
      expect(await w.lab({}, "free")).toEqual(asIs("free", { ...exportRefused, refusedEvents: 2 }));
    });
  });

  it("replays the events a grant let through with the grant, though nothing refused follows", async () => {
    await scenario(kind, async (w) => {
      await exportsOneGranted(w);
      // Then two conversations.
      for (const day of ["06", "07"])
        expect(await w.record(`2026-11-${day}T10:00:00Z`, { conversations: 1 }, true)).toBe("ok");
      expect(await w.lab({}, "free")).toEqual(asIs("free", quiet));
      // A draft of one conversation replays the month: the 4th export is still the grant's, and
      // only the second conversation is refused.
      const cut = { tiers: { free: { limits: { conversations: 1 } } } };
      expect((await w.lab(cut, "free")).draft).toEqual(refusedOnce("conversations"));
    });
  });

  it("replays a hard limit with what rolled over into the month, as the catalog's rule", async () => {
    // Free's 3 exports roll over for a month: 1 used in October leaves 2 for November (5).
    const rolling = defineTiers({
      ...defaultTiers,
      free: { ...defaultTiers.free, ankiExports: { limit: 3, rollover: { months: 1 } } },
    });
    await scenario(
      kind,
      async (w) => {
        await w.plan("free", "2026-10-01T00:00:00Z");
        expect(await w.record("2026-10-10T10:00:00Z", { ankiExports: 1 }, true)).toBe("ok");
        for (const day of ["02", "03", "04", "05", "06"])
          expect(await w.record(`2026-11-${day}T10:00:00Z`, { ankiExports: 1 }, true)).toBe("ok");
        expect(await w.record("2026-11-07T10:00:00Z", { ankiExports: 1 }, true)).toBe("FORBIDDEN");
        expect(await w.lab({}, "free")).toEqual(asIs("free", exportRefused));
        // A draft of another feature keeps the rule; one that rolls nothing over refuses more:
        // at 3 a month with none rolled over, 5, 6 and 7 November are refused.
        expect(
          (await w.lab({ tiers: { free: { limits: { conversations: 10 } } } }, "free")).draft,
        ).toEqual(exportRefused);
        expect(
          (await w.lab({ tiers: { free: { limits: { ankiExports: 3 } } } }, "free")).draft,
        ).toEqual({ ...exportRefused, refusedEvents: 3 });
      },
      rolling,
    );
  });

  it("replays events in time order, not in the order they were recorded", async () => {
    await scenario(kind, async (w) => {
      await w.plan("free", "2026-11-01T00:00:00Z");
      await w.record("2026-11-20T10:00:00Z", { conversations: 3 });
      for (const day of ["02", "03", "04"])
        await w.record(`2026-11-${day}T10:00:00Z`, { conversations: 1 });
      // At 3 conversations the three of 2–4 November fit and the 3 of the 20th are refused.
      expect(await w.lab({ tiers: { free: { limits: { conversations: 3 } } } }, "free")).toEqual({
        tier: "free",
        actual: quiet,
        draft: refusedOnce("conversations"),
      });
    });
  });

  it("counts a learner who moved down under the month's last tier, and the overage where it ran", async () => {
    await scenario(kind, async (w) => {
      await w.plan("plus", "2026-11-01T00:00:00Z");
      await w.record("2026-11-02T10:00:00Z", { seconds: 11 * H }); // 1 h past Plus's 10 h
      await w.plan("free", "2026-11-10T00:00:00Z");
      await w.record("2026-11-12T10:00:00Z", { conversations: 1 });
      const free = await w.lab({}, "free");
      const plus = await w.lab({}, "plus");
      // 60 blocks of a minute at 0.03.
      expect(free.actual).toMatchObject({
        learners: 1,
        upgradeCandidates: 1,
        overageMoney: "0.00",
      });
      expect(plus.actual).toMatchObject({ learners: 0, overageMoney: "1.80" });
      expect(free.draft).toEqual(free.actual);
      expect(plus.draft).toEqual(plus.actual);
    });
  });

  it("refuses a feature over its draft limit, not one landing exactly on it", async () => {
    await scenario(kind, async (w) => {
      await w.plan("free", "2026-11-01T00:00:00Z");
      await w.record("2026-11-02T10:00:00Z", { conversations: 11, ankiExports: 5 });
      const drafted = await w.lab(
        { tiers: { free: { limits: { conversations: 10, ankiExports: 5 } } } },
        "free",
      );
      expect(drafted.draft).toEqual(refusedOnce("conversations"));
    });
  });

  it("bills no overage for the practice of an event the draft refuses", async () => {
    await scenario(kind, async (w) => {
      await w.plan("plus", "2026-11-01T00:00:00Z");
      await w.record("2026-11-02T10:00:00Z", { seconds: 11 * H });
      await w.record("2026-11-03T10:00:00Z", { realtimeSessions: 6, seconds: H });
      const drafted = await w.lab({ tiers: { plus: { limits: { realtimeSessions: 5 } } } }, "plus");
      // Reality: 2 h past 10 h (3.60). The draft refuses the 3 November event (6 sessions over 5):
      // its hour is not practised, 1 h past (1.80).
      expect(drafted.actual).toMatchObject({
        overageMoney: "3.60",
        refusedEvents: 0,
        upgradeCandidates: 1,
      });
      expect(drafted.draft).toEqual({ ...refusedOnce("realtimeSessions"), overageMoney: "1.80" });
    });
  });

  it("answers each month of several, with that month's payments and overage", async () => {
    await scenario(kind, async (w) => {
      await w.plan("plus", "2026-10-01T00:00:00Z");
      await w.pay("2026-10-05T10:00:00Z", "9.99");
      await w.pay("2026-11-05T10:00:00Z", "9.99");
      await w.record("2026-10-06T10:00:00Z", { seconds: 11 * H });
      await w.record("2026-11-06T10:00:00Z", { seconds: H });
      const draft = { tiers: { plus: { price: "12.99" } } };
      const answer = await w
        .api()
        .analytics.simulateCatalog({ draft, fromMonth: "2026-10", months: 2 });
      expect(answer.months.map((m) => m.month)).toEqual(["2026-10", "2026-11"]);
      const october = {
        ...quiet,
        subscriptionRevenue: "9.99",
        overageMoney: "1.80",
        upgradeCandidates: 1,
      };
      const november = { ...quiet, subscriptionRevenue: "9.99" };
      expect(await w.lab(draft, "plus", "2026-10", 2, 0)).toEqual({
        tier: "plus",
        actual: october,
        draft: { ...october, subscriptionRevenue: "12.99" },
      });
      expect(await w.lab(draft, "plus", "2026-10", 2, 1)).toEqual({
        tier: "plus",
        actual: november,
        draft: { ...november, subscriptionRevenue: "12.99" },
      });
    });
  });

  it("keeps what was paid for a tier the draft does not reprice, and prices the rest by the draft", async () => {
    await scenario(kind, async (w) => {
      // A Plus learner paid 4.99 (a discount) for the 9.99 tier.
      await w.plan("plus", "2026-11-01T00:00:00Z");
      await w.record("2026-11-02T10:00:00Z", { conversations: 1 });
      await w.pay("2026-11-03T10:00:00Z", "4.99");
      const paid = { ...quiet, subscriptionRevenue: "4.99" };
      expect(await w.lab({}, "plus")).toEqual(asIs("plus", paid));
      expect(await w.lab({ tiers: { plus: { price: "9.99" } } }, "plus")).toEqual(
        asIs("plus", paid),
      );
      expect((await w.lab({ tiers: { plus: { price: "12.99" } } }, "plus")).draft).toEqual({
        ...paid,
        subscriptionRevenue: "12.99",
      });
    });
  });

  it("counts subscriptions as subscription revenue, not top-ups", async () => {
    await scenario(kind, async (w) => {
      await w.plan("plus", "2026-11-01T00:00:00Z");
      await w.record("2026-11-02T10:00:00Z", { conversations: 1 });
      await w.pay("2026-11-03T10:00:00Z", "9.99");
      await w.pay("2026-11-03T10:00:00Z", "5.00", "topUp");
      const paid = { ...quiet, subscriptionRevenue: "9.99" };
      expect(await w.lab({}, "plus")).toEqual({ tier: "plus", actual: paid, draft: paid });
    });
  });
});
