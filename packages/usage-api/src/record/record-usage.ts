import { preparedStatement } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { assertNotFuture, OUT_OF_WINDOW } from "../calendar/window";
import { badRequest, conflictError, limitExceededError } from "../errors";
import type { LimitExceeded } from "../errors";
import type { TierName, Tiers } from "../limits/tiers";
import type { RecordUsageInput } from "../schemas";
import { columnsOf } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import { inHostTransaction, inSavepoint } from "../store/savepoint";
import { recordInGroup } from "./group-commit";
import { answerKnown, KnownKeys } from "./idempotency";
import { recordValidEvents } from "./batch";
import { keepRefusals } from "./batch-sql";
import { amountsOf } from "./results";
import type { BatchResult, ValidEvent } from "./results";
import { withRetries } from "./retry";
import { recordStatement, recordValues } from "./statement";

export interface RecordUsageParams extends Omit<RecordUsageInput, "userId"> {
  userId: string;
  now: Date;
  tiers: Tiers;
}

export interface RecordUsageResult {
  recorded: boolean;
  duplicate: boolean;
  period: { start: Date; end: Date };
  usage: MonthlyUsage;
}

interface StatementResult extends Partial<MonthlyUsage> {
  inWindow: boolean;
  /** No user row yet: an enforced event then runs the statement that makes it. */
  newUser: boolean;
  /** The user's grants or rollover count: the event is planned under the user's lock. */
  needsPlan: boolean;
  inserted: number;
}

type Refusal = LimitExceeded & { tier: TierName };

const recordEvent = preparedStatement((tiers: Tiers) => recordStatement(tiers, false));
const recordEnforced = preparedStatement((tiers: Tiers) => recordStatement(tiers, true));
const recordEnforcedNewUser = preparedStatement((tiers: Tiers) =>
  recordStatement(tiers, true, true),
);

/** The refusal a statement aborted with (SQLSTATE UK001, its DETAIL the JSON), if it did. */
function refusalOf(error: unknown): Refusal | null {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const { code, detail } = e as { code?: string; detail?: string };
    if (code === "UK001" && detail) return JSON.parse(detail) as Refusal;
  }
  return null;
}

const asResult = (usage: MonthlyUsage, recorded: boolean): RecordUsageResult => ({
  recorded,
  duplicate: !recorded,
  period: { start: usage.periodStart, end: usage.periodEnd },
  usage,
});

/** A grouped or batched event's result as `recordUsage` answers it (or throws it). */
function answerOf(result: BatchResult, idempotencyKey?: string): RecordUsageResult {
  switch (result.status) {
    case "recorded":
    case "duplicate":
      return asResult(result.usage, result.status === "recorded");
    case "refused":
      throw limitExceededError(result.limitExceeded);
    case "invalid":
      throw result.error.code === "CONFLICT" && idempotencyKey !== undefined
        ? conflictError(idempotencyKey)
        : badRequest(result.error.message);
  }
}

/** The answer to a key that was already recorded (duplicate or CONFLICT), if it was. */
async function answerRecordedKey(
  db: Db,
  v: ValidEvent,
  tiers: Tiers,
): Promise<RecordUsageResult | undefined> {
  const c = columnsOf(tiers);
  const seen = (await KnownKeys.read(db, c, [v])).of(v);
  if (!seen) return undefined;
  const answer = (await answerKnown(db, c, [{ v, seen }], new Map())).get(v.i)!;
  return answerOf(answer, v.event.idempotencyKey);
}

/** Keeps who hit which wall (analytics.upgradeCandidates): once per refused key, as batches do. */
async function keepRefusal(db: Db, v: ValidEvent, r: Refusal) {
  const { userId, idempotencyKey } = v.event;
  const { tier, feature, used, limit, requested } = r;
  const at = v.at.toISOString();
  await db.execute(
    keepRefusals([
      { userId, key: idempotencyKey ?? null, at, tier, feature, used, limit, requested },
    ]),
  );
}

/**
 * Records one usage event in one statement (ledger, monthly row, day, lifetime row, and the user
 * row of a user never seen), exactly once per idempotency key, and — with `enforceLimits` — only
 * if no hard limit would be passed. A refused or invalid event writes none of them. Outside a
 * host's transaction, concurrent unenforced calls share statements and commits (group-commit.ts).
 */
export async function recordUsage(db: Db, params: RecordUsageParams): Promise<RecordUsageResult> {
  const { now, tiers, userId: _u, ...input } = params;
  const at = params.occurredAt ?? now;
  assertNotFuture("occurredAt", at, now);
  const v: ValidEvent = { i: 0, event: { ...input, userId: params.userId }, at, now };
  // Enforced events run alone: grouped, they would need the batch's locking transaction of
  // several round trips, slower than concurrent one-statement calls.
  if (inHostTransaction(db) || params.enforceLimits) return recordOne(db, v, tiers);
  const result = await recordInGroup(db, tiers, v, () => recordOne(db, v, tiers));
  return "status" in result ? answerOf(result, params.idempotencyKey) : result;
}

/** One event by its own statement. */
async function recordOne(db: Db, v: ValidEvent, tiers: Tiers): Promise<RecordUsageResult> {
  const { event } = v;
  const c = columnsOf(tiers);
  const values = recordValues({
    userId: event.userId,
    idempotencyKey: event.idempotencyKey ?? null,
    occurredAt: v.at,
    now: v.now,
    amounts: amountsOf(event, c.features),
  });
  let result: StatementResult;
  try {
    const statement = (run: typeof recordEvent) =>
      withRetries(() => inSavepoint(db, (sp) => run<StatementResult>(sp, tiers, values)));
    [result] = (await statement(event.enforceLimits ? recordEnforced : recordEvent)) as [
      StatementResult,
    ];
    if (event.enforceLimits && result.newUser && result.inserted === 0)
      [result] = (await statement(recordEnforcedNewUser)) as [StatementResult];
    if (result.needsPlan && result.inserted === 0) {
      const planned = await recordValidEvents(db, [v], tiers, { plan: true });
      return answerOf(planned.get(v.i)!, event.idempotencyKey);
    }
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    // A retry of a recorded key is a duplicate even when the event alone would not fit now.
    const recorded = await answerRecordedKey(db, v, tiers);
    if (recorded) return recorded;
    await keepRefusal(db, v, refusal);
    const { tier: _tier, ...limitExceeded } = refusal;
    throw limitExceededError(limitExceeded);
  }
  if (result.inserted > 0) return asResult(c.monthlyOf(result), true);
  const recorded = await answerRecordedKey(db, v, tiers);
  if (recorded) return recorded;
  if (!result.inWindow) throw badRequest(OUT_OF_WINDOW);
  throw new Error("recordUsage: the event was neither recorded nor a known key");
}
