import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import type { SQL } from "drizzle-orm";
import { describeZodError, futureMessage, isRetryableConflict, OUT_OF_WINDOW } from "../errors";
import type { LimitExceeded } from "../errors";
import { batchEventSchema } from "../schemas";
import type { BatchEvent } from "../schemas";
import { billableFeatures, features, hardLimitOf, overageOf, softLimitOf } from "../tiers";
import type { Feature, TierName, Tiers } from "../tiers";
import type { MonthlyUsage } from "./columns";
import {
  eventContext,
  keepRefusals,
  lockMonths,
  readMonths,
  recordedKeys,
  writeEvents,
} from "./record-batch-sql";
import type { PlannedEvent } from "./record-batch-sql";
import { unenforcedValues, writeUnenforced } from "./record-batch-fast";
import { samePayload } from "./record-usage";
import { inSavepoint } from "./savepoint";

export type BatchResult =
  | { status: "recorded" | "duplicate"; usage: MonthlyUsage }
  | { status: "refused"; limitExceeded: LimitExceeded }
  | { status: "invalid"; error: { code: "BAD_REQUEST" | "CONFLICT"; message: string } };

/** Another writer changed what the plan read (a month row appeared, a key was taken): replan. */
class StalePlan extends Error {}

const invalid = (code: "BAD_REQUEST" | "CONFLICT", message: string): BatchResult => ({
  status: "invalid",
  error: { code, message },
});

/** "seconds: must be >= 0; amounts: at least one …" for one event. */
function validate(raw: unknown, now: Date): BatchEvent | BatchResult {
  const parsed = batchEventSchema.safeParse(raw);
  if (!parsed.success) return invalid("BAD_REQUEST", describeZodError(parsed.error, "event"));
  const at = parsed.data.occurredAt;
  const future = at && futureMessage("occurredAt", at, now);
  return future ? invalid("BAD_REQUEST", future) : parsed.data;
}

const monthKey = (userId: string, month: string) => `${userId}\u0000${month}`;
const amountsOf = (e: BatchEvent) =>
  Object.fromEntries(features.map((f) => [f, e[f] ?? 0])) as Record<Feature, number>;
// StalePlan is thrown by this module itself (never wrapped): it needs no cause chain.
const isRetryable = (error: unknown) => error instanceof StalePlan || isRetryableConflict(error);

/** A valid event: its place in the input, when it happened, and the server's clock for it. */
export interface ValidEvent {
  i: number;
  event: BatchEvent;
  at: Date;
  now: Date;
}

/**
 * Records up to 1,000 events with the rules of `recordUsage`, each on its own: an invalid,
 * duplicate or refused event is reported in its result and never stops the others; a user's
 * events are applied in input order (enforced ones against the usage before them). In one
 * transaction of a few set-based statements: users are locked in id order (advisory locks), their
 * month rows read and locked, the batch planned here, and all its rows written by one statement.
 * Answers once everything recorded is committed.
 */
export async function recordUsageBatch(
  db: Db,
  params: { events: unknown[]; now: Date; tiers: Tiers },
): Promise<{ results: BatchResult[] }> {
  const { now, tiers } = params;
  const results: (BatchResult | undefined)[] = [];
  const valid: ValidEvent[] = [];
  params.events.forEach((raw, i) => {
    const checked = validate(raw, now);
    if ("status" in checked) results[i] = checked;
    else valid.push({ i, event: checked, at: checked.occurredAt ?? now, now });
  });
  for (const [i, result] of await recordValidEvents(db, valid, tiers)) results[i] = result;
  return { results: results as BatchResult[] };
}

/**
 * Records events already validated (each with its own clock), as `recordUsageBatch` does; the
 * results by `i`. Also the way single events are committed in groups (group-commit.ts), which
 * reads `progress.written` after a failure: whether the events were written before it.
 */
export async function recordValidEvents(
  db: Db,
  valid: ValidEvent[],
  tiers: Tiers,
  progress = { written: false },
): Promise<Map<number, BatchResult>> {
  if (valid.length === 0) return new Map();
  // Without enforced events, one statement records the batch (no plan, no locks held).
  const apply = valid.some((v) => v.event.enforceLimits)
    ? (d: Db) => inTransaction(d, (tx) => applyBatch(tx, valid, tiers))
    : (d: Db) => applyUnenforced(d, valid, tiers, progress);
  for (let attempt = 1; ; attempt++) {
    try {
      return await apply(db);
    } catch (error) {
      if (attempt >= 5 || !isRetryable(error)) throw error;
    }
  }
}

/** A transaction of its own, or a savepoint inside the host's open transaction. */
const inTransaction = <T>(db: Db, work: (tx: Db) => Promise<T>) =>
  db.transaction((tx) => work(tx as unknown as Db));

const rows = <T>(db: Db, query: SQL) => queryRows<T>(db, query);

async function applyBatch(db: Db, valid: ValidEvent[], tiers: Tiers) {
  const results = new Map<number, BatchResult>();
  type Context = {
    i: number;
    tier: TierName;
    tz: string;
    month: string;
    day: string;
    inWindow: boolean;
  };
  type Known = KnownKey & { userId: string; key: string };
  const keyed = valid.filter((v) => v.event.idempotencyKey !== undefined);
  // Both reads at once (postgres.js pipelines them on the transaction's connection).
  const [contextRows, knownRows] = await Promise.all([
    rows<Context>(
      db,
      eventContext(
        valid.map((v) => ({
          i: v.i,
          userId: v.event.userId,
          at: v.at.toISOString(),
          now: v.now.toISOString(),
        })),
      ),
    ),
    keyed.length === 0
      ? Promise.resolve([] as Known[])
      : rows<Known>(
          db,
          recordedKeys(
            keyed.map((v) => ({ userId: v.event.userId, key: v.event.idempotencyKey! })),
          ),
        ),
  ]);
  const context = new Map(contextRows.map((c) => [c.i, c]));
  const known = new Map<string, KnownKey>(knownRows.map((r) => [`${r.userId}\u0000${r.key}`, r]));
  const monthsTouched = [
    ...new Map(
      valid.map((v) => {
        const month = context.get(v.i)!.month;
        return [monthKey(v.event.userId, month), { userId: v.event.userId, month }];
      }),
    ).values(),
  ];
  const used = new Map<string, Record<Feature, number>>(
    (
      await rows<Record<Feature, number> & { userId: string; month: string }>(
        db,
        lockMonths(monthsTouched),
      )
    ).map((m) => [monthKey(m.userId, m.month), m]),
  );
  const existing = new Set(used.keys());

  // Plan in input order: duplicates, the window, limits against the usage before each event.
  const planned: PlannedEvent[] = [];
  const refusals: Parameters<typeof keepRefusals>[0] = [];
  const duplicateOf = new Map<number, string>();
  for (const { i, event, at } of valid) {
    const ctx = context.get(i)!;
    const amounts = amountsOf(event);
    const key = event.idempotencyKey;
    const seen = key === undefined ? undefined : known.get(`${event.userId}\u0000${key}`);
    if (seen) {
      const conflict = verdictOnKnownKey(seen, event, i, duplicateOf);
      if (conflict) results.set(i, conflict);
      continue;
    }
    if (!ctx.inWindow) {
      results.set(i, invalid("BAD_REQUEST", OUT_OF_WINDOW));
      continue;
    }
    const mk = monthKey(event.userId, ctx.month);
    const before =
      used.get(mk) ?? (Object.fromEntries(features.map((f) => [f, 0])) as Record<Feature, number>);
    const config = tiers[ctx.tier];
    if (event.enforceLimits) {
      const over = features.find((f) => {
        const limit = hardLimitOf(config, f);
        return amounts[f] > 0 && limit !== null && before[f] + amounts[f] > limit;
      });
      if (over) {
        const limitExceeded = {
          feature: over,
          used: before[over],
          limit: hardLimitOf(config, over)!,
          requested: amounts[over],
        };
        results.set(i, { status: "refused", limitExceeded });
        refusals.push({
          userId: event.userId,
          key: key ?? null,
          at: at.toISOString(),
          tier: ctx.tier,
          ...limitExceeded,
        });
        continue;
      }
    }
    const overage = Object.fromEntries(
      billableFeatures.map((f) => [f, overageOf(softLimitOf(config, f), before[f], amounts[f])]),
    );
    used.set(
      mk,
      Object.fromEntries(features.map((f) => [f, before[f] + amounts[f]])) as Record<
        Feature,
        number
      >,
    );
    if (key !== undefined) {
      known.set(`${event.userId}\u0000${key}`, { ...amounts, occurredAt: at, month: ctx.month });
    }
    planned.push({
      i,
      userId: event.userId,
      key: key ?? null,
      at: at.toISOString(),
      month: ctx.month,
      day: ctx.day,
      tier: ctx.tier,
      tz: ctx.tz,
      amounts,
      overage,
    });
  }

  const months = new Map<string, MonthlyUsage>();
  if (planned.length > 0) {
    const written = await rows<
      MonthlyUsage & { userId: string; monthDate: string; created: boolean; inserted: number }
    >(db, writeEvents(planned));
    // A key taken or a month row created by a concurrent single call since the plan read: replan.
    const appeared = written.some(
      (m) => !m.created && !existing.has(monthKey(m.userId, m.monthDate)),
    );
    if (written[0]!.inserted !== planned.length || appeared) {
      throw new StalePlan("batch plan is stale");
    }
    for (const { userId, monthDate, created: _c, inserted: _n, ...usage } of written) {
      months.set(monthKey(userId, monthDate), usage);
    }
  }
  if (refusals.length > 0) await db.execute(keepRefusals(refusals));
  for (const p of planned)
    results.set(p.i, { status: "recorded", usage: months.get(monthKey(p.userId, p.month))! });
  await answerDuplicates(db, duplicateOf, months, results);
  return results;
}

type KnownKey = Record<Feature, number> & { occurredAt: Date; month: string };

/**
 * A key already recorded: the same payload is a duplicate (noted in `duplicateOf` with its month);
 * another payload is a CONFLICT, returned.
 */
function verdictOnKnownKey(
  seen: KnownKey,
  event: BatchEvent,
  i: number,
  duplicateOf: Map<number, string>,
): BatchResult | null {
  const same = samePayload(
    { amounts: seen, occurredAt: new Date(seen.occurredAt) },
    { amounts: amountsOf(event), occurredAt: event.occurredAt },
  );
  if (same) {
    duplicateOf.set(i, monthKey(event.userId, seen.month));
    return null;
  }
  return invalid(
    "CONFLICT",
    `idempotencyKey: ${event.idempotencyKey} was recorded with another payload`,
  );
}

/** Duplicates answer with their month row as it stands (read when the batch did not touch it). */
async function answerDuplicates(
  db: Db,
  duplicateOf: Map<number, string>,
  months: Map<string, MonthlyUsage>,
  results: Map<number, BatchResult>,
) {
  const missing = [...new Set(duplicateOf.values())].filter((k) => !months.has(k));
  if (missing.length > 0) {
    const read = await rows<MonthlyUsage & { userId: string; monthDate: string }>(
      db,
      readMonths(
        missing.map((k) => {
          const [userId, month] = k.split("\u0000") as [string, string];
          return { userId, month };
        }),
      ),
    );
    for (const { userId, monthDate, ...usage } of read)
      months.set(monthKey(userId, monthDate), usage);
  }
  for (const [i, mk] of duplicateOf)
    results.set(i, { status: "duplicate", usage: months.get(mk)! });
}

/** A batch without enforced events: one statement, then the answers for what it did not insert. */
async function applyUnenforced(
  db: Db,
  valid: ValidEvent[],
  tiers: Tiers,
  progress: { written: boolean },
) {
  const written = await inSavepoint(db, (d) =>
    writeUnenforced<
      MonthlyUsage & { userId: string; monthDate: string; recorded: [number, string][] }
    >(
      d,
      tiers,
      unenforcedValues(
        valid.map((v) => ({
          i: v.i,
          userId: v.event.userId,
          key: v.event.idempotencyKey ?? null,
          at: v.at.toISOString(),
          now: v.now.toISOString(),
          amounts: amountsOf(v.event),
        })),
      ),
    ),
  );
  progress.written = true; // what follows only reads
  const months = new Map<string, MonthlyUsage>();
  for (const { userId, monthDate, recorded: _r, ...usage } of written) {
    months.set(monthKey(userId, monthDate), usage);
  }
  const results = new Map<number, BatchResult>();
  const recorded = new Map(written.find((w) => w.recorded)?.recorded ?? []);
  const byIndex = new Map(valid.map((v) => [v.i, v]));
  for (const [i, month] of recorded) {
    results.set(i, {
      status: "recorded",
      usage: months.get(monthKey(byIndex.get(i)!.event.userId, month))!,
    });
  }
  // Not inserted: a key recorded before (or earlier in this batch), or outside the window.
  const rest = valid.filter((v) => !recorded.has(v.i));
  const keyed = rest.filter((v) => v.event.idempotencyKey !== undefined);
  const known =
    keyed.length === 0
      ? new Map()
      : new Map(
          (
            await rows<
              Record<Feature, number> & {
                userId: string;
                key: string;
                occurredAt: Date;
                month: string;
              }
            >(
              db,
              recordedKeys(
                keyed.map((v) => ({ userId: v.event.userId, key: v.event.idempotencyKey! })),
              ),
            )
          ).map((r) => [`${r.userId}\u0000${r.key}`, r]),
        );
  const duplicateOf = new Map<number, string>();
  for (const { i, event } of rest) {
    const seen = known.get(`${event.userId}\u0000${event.idempotencyKey}`);
    if (!seen) {
      results.set(i, invalid("BAD_REQUEST", OUT_OF_WINDOW));
      continue;
    }
    const conflict = verdictOnKnownKey(seen, event, i, duplicateOf);
    if (conflict) results.set(i, conflict);
  }
  await answerDuplicates(db, duplicateOf, months, results);
  return results;
}
