import type { Db } from "@usagekit/db";
import { futureMessage } from "../calendar/window";
import { describeZodError } from "../errors";
import { modelOfTiers } from "../limits/tiers";
import type { Tiers } from "../limits/tiers";
import { catalogSchemas } from "../schemas";
import type { BatchEvent } from "../schemas";
import { inTransaction } from "../store/savepoint";
import { applyPlanned, StalePlan } from "./batch-plan";
import { applyUnenforced } from "./batch-unenforced";
import { invalid } from "./results";
import type { BatchResult, ValidEvent } from "./results";
import { isRetryableConflict, withRetries } from "./retry";

export type { BatchResult, ValidEvent } from "./results";

/** "seconds: must be >= 0; amounts: at least one …" for one event. */
function validate(raw: unknown, now: Date, tiers: Tiers): BatchEvent | BatchResult {
  const parsed = catalogSchemas(modelOfTiers(tiers)).batchEventSchema.safeParse(raw);
  if (!parsed.success) return invalid("BAD_REQUEST", describeZodError(parsed.error, "event"));
  const at = parsed.data.occurredAt;
  const future = at && futureMessage("occurredAt", at, now);
  return future ? invalid("BAD_REQUEST", future) : parsed.data;
}

// StalePlan is thrown by this module's planner itself (never wrapped): it needs no cause chain.
const isRetryable = (error: unknown) => error instanceof StalePlan || isRetryableConflict(error);

/**
 * Records up to 1,000 events with the rules of `recordUsage`, each on its own: an invalid,
 * duplicate or refused event is reported in its result and never stops the others; a user's
 * events are applied in input order (enforced ones against the usage before them). Answers once
 * everything recorded is committed.
 */
export async function recordUsageBatch(
  db: Db,
  params: { events: unknown[]; now: Date; tiers: Tiers },
): Promise<{ results: BatchResult[] }> {
  const { now, tiers } = params;
  const results: (BatchResult | undefined)[] = [];
  const valid: ValidEvent[] = [];
  params.events.forEach((raw, i) => {
    const checked = validate(raw, now, tiers);
    if ("status" in checked) results[i] = checked;
    else valid.push({ i, event: checked, at: checked.occurredAt ?? now, now });
  });
  for (const [i, result] of await recordValidEvents(db, valid, tiers)) results[i] = result;
  return { results: results as BatchResult[] };
}

/**
 * Records events already validated (each with its own clock), as `recordUsageBatch` does; the
 * results by `i`. Also the way single events are committed in groups (group-commit.ts), which
 * reads `progress.written` after a failure: whether the events were written before it. Without
 * enforced events (or `plan`), one statement records them all (no plan, no locks held) — except
 * the events whose users' grants or rollover count, planned after it; with them, a transaction
 * plans the batch under row locks (batch-plan.ts). A deadlock or a stale plan rolled everything
 * back, so it is run again.
 */
export async function recordValidEvents(
  db: Db,
  valid: ValidEvent[],
  tiers: Tiers,
  { progress = { written: false }, plan = false } = {},
): Promise<Map<number, BatchResult>> {
  if (valid.length === 0) return new Map();
  const planned = (events: ValidEvent[]) =>
    withRetries(() => inTransaction(db, (tx) => applyPlanned(tx, events, tiers)), isRetryable);
  if (plan || valid.some((v) => v.event.enforceLimits)) return planned(valid);
  const { results, deferred } = await withRetries(
    () => applyUnenforced(db, valid, tiers, progress),
    isRetryable,
  );
  if (deferred.length > 0)
    for (const [i, result] of await planned(deferred)) results.set(i, result);
  return results;
}
