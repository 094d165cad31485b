import { setImmediate as yieldToRequests } from "node:timers/promises";
import { TRPCError } from "@trpc/server";
import type { Db } from "@usagekit/db";
import { createCaller, createTRPCContext } from "@usagekit/usage-api";
import { catalog } from "@usagekit/db/catalog";
import type { TierName } from "@usagekit/usage-api";
import { seededRandom } from "@usagekit/usage-api/random";
import { learners } from "~/lib/demo-users";

const DAY = 86_400_000;

/** A service caller whose clock reads `at`: history is recorded as it would have been then. */
export const callerAt = (db: Db, at: Date) =>
  createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => at }));

/** The plan's monthly price from the catalog; a free plan pays nothing. */
export const priceOf = (tier: TierName) => {
  const { price } = catalog.tiers[tier];
  return Number(price) > 0 ? price : null;
};

/** Ben's plus hours (10 h a month) plus half an hour: he is in overage whatever the date. */
const OVERAGE_MONTH_SECONDS = 10 * 3600 + 1800;

/**
 * This month, whatever today's date: each learner with a history practised in the current local
 * month and the current UTC month (an instant after both began, so it is in both), and Ben
 * practised past his plus hours. On the 1st of a month, or in the first minutes of it, this is
 * what makes "this month" non-empty.
 */
async function seedThisMonth(db: Db, today: Date) {
  const api = callerAt(db, today).usage;
  const utcStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  for (const user of learners.filter((u) => u.historyDays > 0)) {
    const { period, seconds } = await api.getCurrentUsage({ userId: user.id });
    const since = Math.max(period.start.getTime(), utcStart, today.getTime() - 3 * 3_600_000);
    const at = new Date(since + Math.floor((today.getTime() - since) / 2));
    const record = (n: number, amount: number) =>
      api.recordUsage({
        userId: user.id,
        occurredAt: at,
        idempotencyKey: `seed-this-month-${n}`,
        conversations: 1,
        completedSessions: 1,
        seconds: amount,
      });
    await record(0, 300); // a five-minute conversation (free learners keep room under their limits)
    // Ben: sessions of at most 45 minutes until he is past his plus hours.
    const left = user.name === "Ben" ? OVERAGE_MONTH_SECONDS - seconds - 300 : 0;
    for (let n = 1; n <= Math.ceil(left / 2700); n++) {
      await record(n, Math.min(2700, left - (n - 1) * 2700));
    }
  }
}

/**
 * Seeds the demo users with months of history through the service API. Every event goes
 * through recordUsage with limits enforced, as the app would, under an idempotency key: a seed
 * cut short is completed by the next start, never doubled. A no-op once the last user exists.
 */
export async function seedDemo(db: Db, today: Date): Promise<void> {
  const last = learners.at(-1)!;
  const api = callerAt(db, today).usage;
  if ((await api.getLifetimeStats({ userId: last.id })).createdAt !== null) return;

  for (const [index, user] of learners.entries()) {
    const random = seededRandom(index + 1);
    const start = today.getTime() - user.historyDays * DAY;
    let tier: TierName = "free";
    let nextPayment = 0;
    // Day by day from the start to yesterday: plan changes, monthly payments, and practice on
    // days picked by chance and on every day of the final streak.
    for (let elapsed = 0; elapsed <= user.historyDays; elapsed++) {
      await yieldToRequests(); // let the app's requests in (see seed-population.ts)
      const dayStart = new Date(start + elapsed * DAY);
      const step = user.plan.find((s) => s.afterDays === elapsed);
      if (step) {
        tier = step.tier;
        nextPayment = elapsed;
        await callerAt(db, dayStart).usage.setUserPlan({
          userId: user.id,
          tier,
          timezone: user.timezone,
        });
      }
      const price = priceOf(tier);
      if (price && elapsed === nextPayment) {
        nextPayment += 30;
        await callerAt(db, dayStart).usage.recordPayment({
          userId: user.id,
          tier,
          amount: price,
          paidAt: dayStart,
          idempotencyKey: `seed-${elapsed}`,
        });
      }
      const daysAgo = user.historyDays - elapsed;
      if (daysAgo === 0 || (daysAgo > user.streakDays && random() > user.activity)) continue;
      // Free learners start the last four weeks with room left under their limits.
      if (tier === "free" && daysAgo <= 28 && daysAgo > user.streakDays) continue;
      const at = new Date(dayStart.getTime() + Math.floor(random() * 8) * 3_600_000);
      const [least, most] = user.sessionMinutes;
      const minutes = least + Math.floor(random() * (most - least));
      const then = callerAt(db, new Date(at.getTime() + 60_000)).usage;
      let n = 0;
      const record = (amounts: Omit<Parameters<typeof then.recordUsage>[0], "userId">) =>
        then
          .recordUsage({
            ...amounts,
            userId: user.id,
            occurredAt: at,
            enforceLimits: true,
            idempotencyKey: `seed-${elapsed}-${n++}`,
          })
          .catch((error: unknown) => {
            // A hard limit refused it, as it would have refused the app: history stays realistic.
            if (!(error instanceof TRPCError && error.code === "FORBIDDEN")) throw error;
          });
      await record({
        conversations: 1,
        realtimeSessions: 1,
        completedSessions: 1,
        seconds: minutes * 60,
      });
      if (random() < 0.25) await record({ ankiExports: 1 });
      if (random() < 0.35) await record({ customPhrases: 1 + Math.floor(random() * 3) });
      if (random() < 0.3) await record({ advancedVoiceSeconds: 60 + Math.floor(random() * 240) });
      if (random() < 0.15) await record({ sessionExtensions: 1 });
    }
  }
  await seedThisMonth(db, today);
}
