import "server-only";
import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { setImmediate as yieldToRequests } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { eventsOn, generatedLearner, paymentOn, POPULATION_DAYS, tierOn } from "~/lib/population";
import type { GeneratedLearner } from "~/lib/population";
import { callerAt, priceOf } from "./seed";
import type { SeedStatus } from "./seed-status";

const DAY = 86_400_000;
const BATCH = 1000;

/**
 * The demo's own bookkeeping table: when the demo data was first started (every later start
 * replays the same history from it, so a seed cut short is resumed with the same events) and how
 * many of the population's days are written.
 */
export async function seedProgress(
  db: Db,
  now: Date,
): Promise<{ startedAt: Date; firstDay: number; daysDone: number }> {
  await db.execute(sql`CREATE TABLE IF NOT EXISTS demo_population (
    id int PRIMARY KEY, started_at timestamptz NOT NULL, days_done int NOT NULL)`);
  await db.execute(sql`INSERT INTO demo_population VALUES (1, ${now.toISOString()}, 0)
    ON CONFLICT (id) DO NOTHING`);
  const [row] = await queryRows<{ startedAt: number; daysDone: number }>(
    db,
    sql`SELECT (extract(epoch FROM started_at) * 1000)::float8 AS "startedAt", days_done AS "daysDone"
      FROM demo_population`,
  );
  const startedAt = row!.startedAt;
  const firstDay = Math.floor(startedAt / DAY) * DAY - POPULATION_DAYS * DAY;
  return { startedAt: new Date(startedAt), firstDay, daysDone: row!.daysDone };
}

/**
 * Writes the generated learners' usage day by day, up to the demo's clock, through the public
 * API as a backend would: plans and time zones with `setUserPlan`, monthly payments with
 * `recordPayment`, and each day's events with `recordUsageBatch` (limits enforced, so free
 * learners are refused at their limits and paying ones run overage) on a clock set to the end of
 * that day. Every write carries an idempotency key or is idempotent, and the days done are kept,
 * so a seed cut short resumes where it was and later starts catch up to today.
 */
export async function seedPopulation(
  db: Db,
  now: () => Date,
  size: number,
  status: SeedStatus,
  { firstDay, daysDone }: Awaited<ReturnType<typeof seedProgress>>,
): Promise<void> {
  const learners = Array.from({ length: size }, (_, i) => generatedLearner(i));
  status.learners = size;
  for (let day = daysDone; ; day++) {
    const dayStart = firstDay + day * DAY;
    const clock = now().getTime();
    status.day = day;
    status.days = Math.max(day, Math.ceil((clock - firstDay) / DAY));
    if (dayStart > clock) break;
    await plansAndPayments(db, learners, day, dayStart, clock);
    const events = learners.flatMap((learner) =>
      eventsOn(learner, day, dayStart)
        .filter((e) => e.occurredAt.getTime() < clock)
        .map((e) => ({
          ...e.amounts,
          userId: learner.id,
          idempotencyKey: e.idempotencyKey,
          occurredAt: e.occurredAt,
          enforceLimits: true,
        })),
    );
    const api = callerAt(db, new Date(Math.min(dayStart + DAY + 60_000, clock))).usage;
    for (let i = 0; i < events.length; i += BATCH) {
      await api.recordUsageBatch({ events: events.slice(i, i + BATCH) });
      // Embedded PGlite answers in the same thread, by promises alone: without a turn of the
      // event loop between batches no request of the app would be served until the seed ends.
      await yieldToRequests();
    }
    status.events += events.length;
    if (dayStart + DAY + 60_000 > clock) break; // today: the rest of it is written by a later start
    await db.execute(sql`UPDATE demo_population SET days_done = ${day + 1}`);
    if (day % 30 === 29) await db.execute(sql`ANALYZE`);
  }
  // Fresh planner statistics for the reports: embedded PGlite runs no autovacuum, and without
  // them a report over the year's ledger is planned as nested loops (4 s instead of 75 ms).
  await db.execute(sql`ANALYZE`);
  status.day = status.days;
}

/** Sign-ups (with their time zone), plan changes and the payments that fall on `day`. */
async function plansAndPayments(
  db: Db,
  learners: GeneratedLearner[],
  day: number,
  dayStart: number,
  clock: number,
) {
  for (const learner of learners) {
    const change = learner.plan.find((p) => p.day === day);
    const paid = paymentOn(learner, day);
    if (!change && !paid) continue;
    // In the morning of the learner's day, after the day started and before the demo's clock.
    const at = new Date(Math.min(dayStart + 3_600_000, clock - 1000));
    const api = callerAt(db, at).usage;
    await yieldToRequests();
    if (change)
      await api.setUserPlan({ userId: learner.id, tier: change.tier, timezone: learner.timezone });
    const price = paid && priceOf(paid);
    if (paid && price)
      await api.recordPayment({
        userId: learner.id,
        tier: tierOn(learner, day),
        amount: price,
        paidAt: at,
        idempotencyKey: `population-${day}`,
      });
  }
}
