import { preparedStatement, queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import {
  OUT_OF_WINDOW,
  assertNotFuture,
  badRequest,
  conflictError,
  isRetryableConflict,
  limitExceededError,
} from "../errors";
import type { LimitExceeded } from "../errors";
import type { RecordUsageInput } from "../schemas";
import { features } from "../tiers";
import type { Feature, TierName, Tiers } from "../tiers";
import { featureColumns, monthlySelect } from "./columns";
import type { MonthlyUsage } from "./columns";
import { recordStatement, recordValues } from "./record-usage-sql";
import { recordInGroup } from "./group-commit";
import type { BatchResult } from "./record-batch";
import { inHostTransaction, inSavepoint } from "./savepoint";
import type { RecordStatementParams } from "./record-usage-sql";

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
  inserted: number;
}

type Refusal = LimitExceeded & { tier: TierName };

const recordEvent = preparedStatement((tiers: Tiers) => recordStatement(tiers, false));
const recordEnforced = preparedStatement((tiers: Tiers) => recordStatement(tiers, true));

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

type Recorded = MonthlyUsage & { eventOccurredAt: Date } & Record<`amount_${Feature}`, number>;

/**
 * Whether a retried key carries the payload it was recorded with: the same amounts, and the same
 * `occurredAt` when the retry names one (without it, the server's clock chose the first one).
 */
export const samePayload = (
  recorded: { amounts: Record<Feature, number>; occurredAt: Date },
  retry: { amounts: Record<Feature, number>; occurredAt?: Date },
) =>
  features.every((f) => Number(recorded.amounts[f]) === retry.amounts[f]) &&
  (retry.occurredAt === undefined || recorded.occurredAt.getTime() === retry.occurredAt.getTime());

/**
 * The answer to a key that was already recorded: `duplicate` with the current monthly row of that
 * event when the payload is the same, `CONFLICT` when it differs; undefined for an unknown key.
 */
async function answerRecordedKey(
  db: Db,
  p: RecordStatementParams & { occurredAtGiven: boolean },
): Promise<RecordUsageResult | undefined> {
  if (!p.idempotencyKey) return undefined;
  const [row] = await queryRows<Recorded>(
    db,
    sql`SELECT ${monthlySelect("m")}, e.occurred_at AS "eventOccurredAt",
      ${sql.join(
        features.map(
          (f) => sql`e.${sql.raw(featureColumns[f].ledger)} AS ${sql.raw(`"amount_${f}"`)}`,
        ),
        sql`, `,
      )}
      FROM usagekit.usage_events e
      JOIN usagekit.monthly_usage m ON m.user_id = e.user_id AND m.month = e.month
      WHERE e.user_id = ${p.userId}::text AND e.idempotency_key = ${p.idempotencyKey}`,
  );
  if (!row) return undefined;
  const { eventOccurredAt, ...rest } = row;
  const recorded = Object.fromEntries(features.map((f) => [f, row[`amount_${f}`]]));
  const same = samePayload(
    { amounts: recorded as Record<Feature, number>, occurredAt: eventOccurredAt },
    { amounts: p.amounts, occurredAt: p.occurredAtGiven ? p.occurredAt : undefined },
  );
  if (!same) throw conflictError(p.idempotencyKey);
  const usage = Object.fromEntries(
    Object.entries(rest).filter(([k]) => !k.startsWith("amount_")),
  ) as unknown as MonthlyUsage;
  return asResult(usage, false);
}

/**
 * Runs the statement, again after a deadlock or serialization failure (it wrote nothing then):
 * a batch writing the same new user's rows in another order may deadlock with it.
 */
async function runStatement<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (attempt >= 5 || !isRetryableConflict(error)) throw error;
    }
  }
}

/** Keeps who hit which wall (analytics.upgradeCandidates): once per refused key. */
async function keepRefusal(db: Db, p: RecordStatementParams, r: Refusal) {
  await db.execute(sql`INSERT INTO usagekit.limit_refusals (user_id, idempotency_key, occurred_at, tier, feature,
      used, "limit", requested)
    VALUES (${p.userId}::text, ${p.idempotencyKey}::text, ${p.occurredAt.toISOString()}::timestamptz,
      ${r.tier}, ${r.feature}, ${r.used}, ${r.limit}, ${r.requested})
    ON CONFLICT (user_id, idempotency_key) DO NOTHING`);
}

/**
 * Records one usage event in one statement (ledger, monthly row, day, lifetime row, and the user
 * row of a user never seen), exactly once per idempotency key, and — with `enforceLimits` — only
 * if no hard limit would be passed. A refused or invalid event writes none of them. Outside a
 * host's transaction, concurrent unenforced calls share statements and commits (group-commit.ts).
 */
export async function recordUsage(db: Db, params: RecordUsageParams): Promise<RecordUsageResult> {
  const { now, tiers, ...event } = params;
  const occurredAt = params.occurredAt ?? now;
  const statement = {
    userId: params.userId,
    idempotencyKey: params.idempotencyKey ?? null,
    occurredAt,
    occurredAtGiven: params.occurredAt !== undefined,
    now,
    enforceLimits: params.enforceLimits ?? false,
    amounts: Object.fromEntries(features.map((f) => [f, params[f] ?? 0])) as Record<
      Feature,
      number
    >,
    tiers,
  };
  assertNotFuture("occurredAt", occurredAt, now);
  // Enforced events run alone: grouped, they would need the batch's locking transaction of
  // several round trips, slower than concurrent one-statement calls.
  if (inHostTransaction(db) || statement.enforceLimits) return recordOne(db, statement);
  const result = await recordInGroup(db, tiers, { event, at: occurredAt, now }, () =>
    recordOne(db, statement),
  );
  return "status" in result ? answerOf(result, params.idempotencyKey) : result;
}

/** A grouped event's result as `recordUsage` answers it. */
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

/** One event by its own statement. */
async function recordOne(
  db: Db,
  statement: RecordStatementParams & { occurredAtGiven: boolean },
): Promise<RecordUsageResult> {
  const { tiers } = statement;
  let result: StatementResult;
  try {
    const run = statement.enforceLimits ? recordEnforced : recordEvent;
    [result] = (await runStatement(() =>
      inSavepoint(db, (sp) => run<StatementResult>(sp, tiers, recordValues(statement))),
    )) as [StatementResult];
  } catch (error) {
    const refusal = refusalOf(error);
    if (!refusal) throw error;
    // A retry of a recorded key is a duplicate even when the event alone would not fit now.
    const recorded = await answerRecordedKey(db, statement);
    if (recorded) return recorded;
    await keepRefusal(db, statement, refusal);
    const { tier: _tier, ...limitExceeded } = refusal;
    throw limitExceededError(limitExceeded);
  }
  if (result.inserted > 0) {
    const { inWindow: _w, inserted: _i, ...usage } = result;
    return asResult(usage as MonthlyUsage, true);
  }
  const recorded = await answerRecordedKey(db, statement);
  if (recorded) return recorded;
  if (!result.inWindow) {
    throw badRequest(OUT_OF_WINDOW);
  }
  throw new Error("recordUsage: the event was neither recorded nor a known key");
}
