import { describe, expect, it } from "vitest";
import { defaultTiers, defineTiers } from "../src";
import type { Tiers } from "../src";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { runsOutOf } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const day = (d: string) => new Date(`${d}T12:00:00Z`);

/** The default tiers, with Anki exports rolling over on Free for a month. */
const tiers: Tiers = defineTiers({
  ...defaultTiers,
  free: { ...defaultTiers.free, ankiExports: { limit: 3, rollover: { months: 1 } } },
});

describe.each(dbKinds)("upgradeCandidates: who will hit a limit this month, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = (now = NOW) => callerFor(suite.handle, { now: () => now, tiers });

  it("finds the learners whose pace reaches a limit, as each one's forecast says, ranked by worth", async () => {
    const [pacer, granted, far, calm, over, refused, spent] = [1, 2, 3, 4, 5, 6, 7].map(() =>
      newUserId(),
    );
    // pacer (Free): 2 conversations every other day since 20 October.
    for (const d of ["2026-10-20", "2026-10-24", "2026-10-28", "2026-11-02", "2026-11-04"])
      await api().usage.recordUsage({ userId: pacer!, conversations: 2, occurredAt: day(d) });
    for (const d of ["2026-11-06", "2026-11-08", "2026-11-10", "2026-11-12", "2026-11-14"])
      await api().usage.recordUsage({ userId: pacer!, conversations: 2, occurredAt: day(d) });
    for (const d of ["2026-10-22", "2026-10-26", "2026-10-30"])
      await api().usage.recordUsage({ userId: pacer!, conversations: 2, occurredAt: day(d) });
    // granted (Free): 2 exports today and a top-up of 10 exports.
    await api().usage.recordUsage({ userId: granted!, ankiExports: 2 });
    await api().usage.grantUsage({
      userId: granted!,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 10,
      reason: "top-up",
    });
    // far (Free, UTC+14): 1 export in October, so 2 roll into November; 2 exports on 1 and 2
    // November there.
    await api().usage.setUserPlan({ userId: far!, tier: "free", timezone: "Pacific/Kiritimati" });
    await api().usage.recordUsage({ userId: far!, ankiExports: 1, occurredAt: day("2026-10-20") });
    for (const d of ["2026-11-01", "2026-11-02"])
      await api().usage.recordUsage({ userId: far!, ankiExports: 2, occurredAt: day(d) });
    // calm (Free): one conversation today — 16 by the end of the month, under 20.
    await api().usage.recordUsage({ userId: calm!, conversations: 1 });
    // over (Plus): 11 hours — 1 hour past the soft limit, $1.80 of overage.
    await api().usage.setUserPlan({ userId: over!, tier: "plus" });
    await api().usage.recordUsage({ userId: over!, seconds: 11 * 3600 });
    // refused (Free): 3 exports, then a 4th refused.
    await api().usage.recordUsage({ userId: refused!, ankiExports: 3 });
    await api()
      .usage.recordUsage({ userId: refused!, ankiExports: 1, enforceLimits: true })
      .catch(() => undefined);

    // spent (Free): 5 exports in October (past its 3, so nothing rolls), 3 in November.
    await api().usage.recordUsage({
      userId: spent!,
      ankiExports: 5,
      occurredAt: day("2026-10-20"),
    });
    await api().usage.recordUsage({ userId: spent!, ankiExports: 3 });

    const mine = [pacer, granted, far, calm, over, refused, spent] as string[];
    const answer = await api().analytics.upgradeCandidates({ month: "2026-11", limit: 1000 });
    const candidates = answer.candidates.filter((c) => mine.includes(c.userId));

    // Independent of the set-based SQL: each learner's own forecast (usage.getForecast).
    for (const userId of mine) {
      const expected = runsOutOf(await api().usage.getForecast({ userId }));
      const candidate = candidates.find((c) => c.userId === userId);
      expect(candidate?.runsOut ?? []).toEqual(expected);
    }
    const of = (userId: string | undefined) => candidates.find((c) => c.userId === userId);
    // November so far: 14 conversations on 7 active days; 13 active days of the 27 since 20
    // October: 2 × 13/27 a day for 15 days → 28; the 20 are reached on the 22nd.
    expect(of(pacer)?.runsOut).toEqual([
      { feature: "conversations", limit: 20, projected: 28, reachesLimitOn: "2026-11-22" },
    ]);
    // 3 of Free and the top-up of 10: 2 a day from today reaches 13 on the 21st.
    expect(of(granted)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 13, projected: 32, reachesLimitOn: "2026-11-21" },
    ]);
    // 3 + the 2 rolled over from October = 5. It is 16 November in Kiritimati: 4 used on 2
    // days (the 2nd and 3rd there); 3 active days of the 27 since 21 October: 2 × 3/27 a day
    // for 14 days → 7; the 5th on the 21st.
    expect(of(far)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 5, projected: 7, reachesLimitOn: "2026-11-21" },
    ]);
    // 3 a day on 2 of 27 days for 15 days: 3 + 3.3 → 6; the 3 of Free are used up: today.
    expect(of(spent)?.runsOut).toEqual([
      { feature: "ankiExports", limit: 3, projected: 6, reachesLimitOn: "2026-11-15" },
    ]);
    expect(of(calm)).toBeUndefined();
    expect(of(over)).toMatchObject({
      tier: "plus",
      overageSeconds: 3600,
      overageMoney: "1.80",
      runsOut: [{ feature: "seconds", limit: 36_000, reachesLimitOn: "2026-11-15" }],
      worth: "11.80",
    });
    expect(of(refused)).toMatchObject({
      refusals: [{ feature: "ankiExports", count: 1, limit: 3 }],
      worth: "9.99",
    });
    // The most worth first: the Plus learner paying overage before a Free learner refused once;
    // among equals, the most refusals, then the most overage, then the id.
    const order = [...candidates].sort(
      (a, b) =>
        Number(b.worth) - Number(a.worth) ||
        b.refusals.length - a.refusals.length ||
        a.userId.localeCompare(b.userId),
    );
    expect(candidates.map((c) => c.userId)).toEqual(order.map((c) => c.userId));
    expect(candidates[0]!.userId).toBe(over);

    // A closed month forecasts nothing: October's candidates are who was refused or paid.
    const october = await api().analytics.upgradeCandidates({ month: "2026-10", limit: 1000 });
    expect(october.candidates.filter((c) => mine.includes(c.userId))).toEqual([]);
  });
});
