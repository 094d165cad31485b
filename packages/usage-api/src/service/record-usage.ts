import { preparedStatement, queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { assertNotFuture, badRequest, limitExceededError } from "../errors";
import type { LimitExceeded } from "../errors";
import type { RecordUsageInput } from "../schemas";
import { features, monthlyField } from "../tiers";
import type { Feature, Tiers } from "../tiers";
import { monthlySelect } from "./columns";
import type { MonthlyUsage } from "./columns";
import { recordStatement, recordValues } from "./record-usage-sql";
import type { RecordStatementParams } from "./record-usage-sql";
import { ensureUser, readUserMonth } from "./users";

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
  userFound: number;
  inWindow: boolean;
  inserted: number;
  /** Only in the enforcing variant; null whenever the statement completes. */
  refused?: null;
}

const recordEvent = preparedStatement((tiers: Tiers) => recordStatement(tiers, false));
const recordEnforced = preparedStatement((tiers: Tiers) => recordStatement(tiers, true));

/** The statement aborted itself because the monthly row refused the event (see the migration). */
const isLimitAbort = (error: unknown): boolean =>
  error instanceof Error &&
  ((error as { code?: string }).code === "UK001" ||
    isLimitAbort((error as { cause?: unknown }).cause));

/** Runs the one statement; a refusal by the monthly row reads as "not inserted". */
async function run(db: Db, p: RecordStatementParams): Promise<StatementResult> {
  try {
    const [row] = await (p.enforceLimits ? recordEnforced : recordEvent)<StatementResult>(
      db,
      p.tiers,
      recordValues(p),
    );
    return row!;
  } catch (error) {
    if (isLimitAbort(error)) return { userFound: 1, inWindow: true, inserted: 0 };
    throw error;
  }
}

const asResult = (usage: MonthlyUsage, recorded: boolean): RecordUsageResult => ({
  recorded,
  duplicate: !recorded,
  period: { start: usage.periodStart, end: usage.periodEnd },
  usage,
});

/** The monthly row of the event already recorded under this key, if any. */
async function findRecorded(
  db: Db,
  userId: string,
  key: string,
): Promise<MonthlyUsage | undefined> {
  const [row] = await queryRows<MonthlyUsage>(
    db,
    sql`SELECT ${monthlySelect("m")} FROM usage_events e
      JOIN monthly_usage m ON m.user_id = e.user_id AND m.month = e.month
      WHERE e.user_id = ${userId}::uuid AND e.idempotency_key = ${key}`,
  );
  return row;
}

/** Keeps who hit which wall (analytics.upgradeCandidates). */
async function recordRefusal(
  db: Db,
  r: LimitExceeded & { userId: string; occurredAt: Date; tier: string; requested: number },
) {
  await db.execute(sql`INSERT INTO limit_refusals (user_id, occurred_at, tier, feature, used, "limit", requested)
    VALUES (${r.userId}::uuid, ${r.occurredAt.toISOString()}::timestamptz, ${r.tier}, ${r.feature},
      ${r.used}, ${r.limit}, ${r.requested})`);
}

/**
 * Records one usage event in one statement (ledger, monthly row, day, lifetime row), exactly
 * once per idempotency key, and — with `enforceLimits` — only if no hard limit would be passed.
 */
export async function recordUsage(db: Db, params: RecordUsageParams): Promise<RecordUsageResult> {
  const { userId, now, tiers } = params;
  const occurredAt = params.occurredAt ?? now;
  assertNotFuture("occurredAt", occurredAt, now);
  const amounts = Object.fromEntries(features.map((f) => [f, params[f] ?? 0])) as Record<
    Feature,
    number
  >;
  const statement: RecordStatementParams = {
    userId,
    idempotencyKey: params.idempotencyKey ?? null,
    occurredAt,
    now,
    enforceLimits: params.enforceLimits ?? false,
    amounts,
    tiers,
  };

  let result = await run(db, statement);
  if (result.userFound === 0) {
    await ensureUser(db, userId);
    result = await run(db, statement);
  }
  if (!result.inWindow) {
    throw badRequest(
      "occurredAt must not be before the start of the previous month (in the user's time zone)",
    );
  }
  if (result.inserted > 0) {
    const { userFound: _u, inWindow: _w, inserted: _i, refused: _r, ...usage } = result;
    return asResult(usage as MonthlyUsage, true);
  }
  if (params.idempotencyKey) {
    const recorded = await findRecorded(db, userId, params.idempotencyKey);
    if (recorded) return asResult(recorded, false);
  }
  // Not inserted and not a duplicate: a hard limit refused it. Say which, as it stands now.
  const month = await readUserMonth(db, userId, occurredAt);
  const limits = tiers[month.tier];
  const hardHit = features.filter(
    (f) => amounts[f] > 0 && !limits[f].overage && limits[f].limit !== null,
  );
  const used = (f: Feature) => month.usage?.[monthlyField[f]] ?? 0;
  const feature = hardHit.find((f) => used(f) + amounts[f] > limits[f].limit!) ?? hardHit[0]!;
  const refusal = { feature, used: used(feature), limit: limits[feature].limit! };
  await recordRefusal(db, {
    userId,
    occurredAt,
    tier: month.tier,
    requested: amounts[feature],
    ...refusal,
  });
  throw limitExceededError(refusal);
}
