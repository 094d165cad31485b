/**
 * `pnpm bench` (part 5): the pricing lab on the demo's population. The 2,000 generated learners
 * of `apps/demo/src/lib/population.ts` are written for a year through the API as the demo writes
 * them (plans, payments, each day's events in enforced batches), then `analytics.simulateCatalog`
 * is timed through `createCaller` (median of 3) for the last whole month and the last three.
 * `bench/analytics.ts` times it on 100,000 learners. A benchmark, not a test.
 */
import { createDb } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { createCaller, createTRPCContext } from "../src";
import { benchDatabase, median } from "./harness";
import {
  DAY,
  eventsOn,
  FIRST,
  generatedLearner,
  LEARNERS,
  paymentOn,
  POPULATION_DAYS,
  tierOn,
} from "./population";

const prices = { plus: "9.99", pro: "19.99" } as const;

const { url, fresh, drop } = await benchDatabase("usagekit_bench_simulate");
const handle = await createDb({ url, max: 4 });
const at = (now: Date) =>
  createCaller(createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => now }));
const learners = Array.from({ length: LEARNERS }, (_, i) => generatedLearner(i));
if (fresh) {
  let events = 0;
  for (let day = 0; day < POPULATION_DAYS; day++) {
    const dayStart = FIRST + day * DAY;
    const morning = at(new Date(dayStart + 3_600_000)).usage;
    for (const learner of learners) {
      const change = learner.plan.find((p) => p.day === day);
      if (change)
        await morning.setUserPlan({ userId: learner.id, tier: change.tier, timezone: "UTC" });
      const paid = paymentOn(learner, day);
      if (paid && paid !== "free")
        await morning.recordPayment({
          userId: learner.id,
          tier: tierOn(learner, day),
          amount: prices[paid],
          paidAt: new Date(dayStart + 3_600_000),
          idempotencyKey: `population-${day}`,
        });
    }
    const batch = learners.flatMap((learner) =>
      eventsOn(learner, day, dayStart).map((e) => ({
        ...e.amounts,
        userId: learner.id,
        idempotencyKey: e.idempotencyKey,
        occurredAt: e.occurredAt,
        enforceLimits: true,
      })),
    );
    const api = at(new Date(dayStart + DAY + 60_000)).usage;
    for (let i = 0; i < batch.length; i += 1000)
      await api.recordUsageBatch({ events: batch.slice(i, i + 1000) });
    events += batch.length;
    if (day % 73 === 72) console.log(`  day ${day + 1} of ${POPULATION_DAYS}: ${events} events`);
  }
  await handle.db.execute(sql`ANALYZE`);
}
const api = at(new Date(FIRST + POPULATION_DAYS * DAY)).analytics;
const last = new Date(FIRST + (POPULATION_DAYS - 1) * DAY);
const lastWhole = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 1, 1));
const month = lastWhole.toISOString().slice(0, 7);
const from3 = new Date(Date.UTC(lastWhole.getUTCFullYear(), lastWhole.getUTCMonth() - 2, 1))
  .toISOString()
  .slice(0, 7);
const draft = { tiers: { free: { limits: { conversations: 10 } }, plus: { price: "12.99" } } };
for (const [name, run] of [
  [`simulateCatalog ${month}`, () => api.simulateCatalog({ draft, fromMonth: month })],
  [
    `simulateCatalog ${from3} + 3`,
    () => api.simulateCatalog({ draft, fromMonth: from3, months: 3 }),
  ],
] as const) {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await run();
    runs.push(performance.now() - t0);
  }
  console.log(`  ${LEARNERS} learners, ${name}: ${median(runs).toFixed(0)} ms (median of 3)`);
}
await handle.close();
await drop();
