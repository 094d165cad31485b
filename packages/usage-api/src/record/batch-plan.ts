import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { OUT_OF_WINDOW } from "../calendar/window";
import type { Hold } from "@usagekit/db";
import { firstRefusal, heldOf } from "../limits/holds";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { lockUsers } from "../store/user-locks";
import type { MonthlyUsage } from "../store/columns";
import { PlanAllowances } from "./plan-allowance";
import { eventContext, keepRefusals, lockMonths, writeEvents } from "./batch-sql";
import type { PlannedEvent } from "./batch-sql";
import { answerKnown, KnownKeys, monthKey } from "./idempotency";
import type { KnownKey } from "./idempotency";
import { amountsOf, invalid } from "./results";
import type { BatchResult, ValidEvent } from "./results";

/** Another writer changed what the plan read (a month row appeared, a key was taken): replan. */
export class StalePlan extends Error {}

type Context = {
  i: number;
  tier: TierName;
  tz: string;
  newUser: boolean;
  month: string;
  day: string;
  inWindow: boolean;
  holds: Hold[];
};
type Used = Record<Feature, number>;

/**
 * A batch with enforced events, in the caller's transaction: each event's context (tier, zone,
 * local month and day, window) and the known keys read at once, the touched month rows locked in
 * key order, the batch planned here in input order (duplicates, the window, limits against the
 * usage before each event), and all its rows written by one statement.
 */
export async function applyPlanned(db: Db, valid: ValidEvent[], tiers: Tiers) {
  const c = columnsOf(tiers);
  const { features } = c;
  // The batch's users first: a reservation of one of them waits, or is seen by what follows.
  await lockUsers(
    db,
    valid.map((v) => v.event.userId),
  );
  const [contextRows, known] = await Promise.all([
    queryRows<Context>(
      db,
      eventContext(
        c,
        valid.map((v) => ({
          i: v.i,
          userId: v.event.userId,
          at: v.at.toISOString(),
          now: v.now.toISOString(),
        })),
      ),
    ),
    KnownKeys.read(db, c, valid),
  ]);
  const context = new Map(contextRows.map((c) => [c.i, c]));
  const touched = new Map(
    valid.map((v) => {
      const month = context.get(v.i)!.month;
      return [monthKey(v.event.userId, month), { userId: v.event.userId, month }];
    }),
  );
  const [locked, allowances] = await Promise.all([
    queryRows<Used & { userId: string; month: string }>(db, lockMonths(c, [...touched.values()])),
    PlanAllowances.read(db, tiers, [...touched.values()]),
  ]);
  const used = new Map<string, Used>(locked.map((m) => [monthKey(m.userId, m.month), m]));
  const existing = new Set(used.keys());

  const results = new Map<number, BatchResult>();
  const planned: PlannedEvent[] = [];
  const refusals: Parameters<typeof keepRefusals>[0] = [];
  const retried: { v: ValidEvent; seen: KnownKey }[] = [];
  for (const v of valid) {
    const { i, event, at } = v;
    const ctx = context.get(i)!;
    const seen = known.of(v);
    if (seen) {
      retried.push({ v, seen });
      continue;
    }
    if (!ctx.inWindow) {
      results.set(i, invalid("BAD_REQUEST", OUT_OF_WINDOW));
      continue;
    }
    const amounts = amountsOf(event, features);
    const mk = monthKey(event.userId, ctx.month);
    const before = used.get(mk) ?? amountsOf({}, features);
    // What counts against a hard limit: the usage before the event and the user's active holds.
    const counted = Object.fromEntries(
      features.map((f) => [f, before[f] + heldOf(ctx.holds, f, v.now)]),
    ) as Used;
    const limitExceeded = event.enforceLimits
      ? firstRefusal(
          allowances.hardLimits(event.userId, ctx.month, ctx.tier, v.now),
          features,
          counted,
          amounts,
        )
      : null;
    if (limitExceeded) {
      results.set(i, { status: "refused", limitExceeded });
      refusals.push({
        userId: event.userId,
        key: event.idempotencyKey ?? null,
        at: at.toISOString(),
        tier: ctx.tier,
        ...limitExceeded,
      });
      continue;
    }
    const allowance = allowances.apply(event.userId, ctx.month, ctx.tier, before, amounts, v.now);
    used.set(mk, Object.fromEntries(features.map((f) => [f, before[f] + amounts[f]])) as Used);
    known.remember(v, ctx.month);
    planned.push({
      i,
      userId: event.userId,
      key: event.idempotencyKey ?? null,
      at: at.toISOString(),
      month: ctx.month,
      day: ctx.day,
      tier: ctx.tier,
      tz: ctx.tz,
      newUser: ctx.newUser,
      amounts,
      ...allowance,
    });
  }

  const months = new Map<string, MonthlyUsage>();
  if (planned.length > 0) {
    const written = await queryRows<
      MonthlyUsage & { userId: string; monthDate: string; created: boolean; inserted: number }
    >(db, writeEvents(tiers, planned, allowances.spends));
    // A key taken or a month row created by a concurrent single call since the plan read: replan.
    const appeared = written.some(
      (m) => !m.created && !existing.has(monthKey(m.userId, m.monthDate)),
    );
    if (written[0]!.inserted !== planned.length || appeared) {
      throw new StalePlan("batch plan is stale");
    }
    for (const row of written) months.set(monthKey(row.userId, row.monthDate), c.monthlyOf(row));
  }
  if (refusals.length > 0) await db.execute(keepRefusals(refusals));
  for (const p of planned)
    results.set(p.i, { status: "recorded", usage: months.get(monthKey(p.userId, p.month))! });
  for (const [i, r] of await answerKnown(db, c, retried, months)) results.set(i, r);
  return results;
}
