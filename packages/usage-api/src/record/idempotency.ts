import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import type { Feature } from "../limits/tiers";
import type { Columns } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import { readMonths, recordedKeys } from "./batch-sql";
import { amountsOf, conflictMessage, invalid } from "./results";
import type { BatchResult, ValidEvent } from "./results";

/** A ledger row of a key already recorded: its amounts, when it happened and its month. */
export type KnownKey = Record<Feature, number> & { occurredAt: Date; month: string };

export const monthKey = (userId: string, month: string) => `${userId}\u0000${month}`;
const keyOf = (userId: string, key: string) => `${userId}\u0000${key}`;

/**
 * Whether a retried key carries the payload it was recorded with: the same amounts, and the same
 * `occurredAt` when the retry names one (without it, the server's clock chose the first one).
 */
const samePayload = (
  features: readonly Feature[],
  seen: KnownKey,
  retry: { amounts: Record<Feature, number>; occurredAt?: Date },
) =>
  features.every((f) => Number(seen[f]) === retry.amounts[f]) &&
  (retry.occurredAt === undefined ||
    new Date(seen.occurredAt).getTime() === retry.occurredAt.getTime());

/** The recorded keys of `events` (those that carry one), by user and key. */
export class KnownKeys {
  private constructor(
    private readonly c: Columns,
    private readonly byKey: Map<string, KnownKey>,
  ) {}

  static async read(db: Db, c: Columns, events: ValidEvent[]): Promise<KnownKeys> {
    const keyed = events.flatMap((v) =>
      v.event.idempotencyKey === undefined
        ? []
        : [{ userId: v.event.userId, key: v.event.idempotencyKey }],
    );
    if (keyed.length === 0) return new KnownKeys(c, new Map());
    const rows = await queryRows<KnownKey & { userId: string; key: string }>(
      db,
      recordedKeys(c, keyed),
    );
    return new KnownKeys(c, new Map(rows.map((r) => [keyOf(r.userId, r.key), r])));
  }

  of(v: ValidEvent): KnownKey | undefined {
    const key = v.event.idempotencyKey;
    return key === undefined ? undefined : this.byKey.get(keyOf(v.event.userId, key));
  }

  /** A key this batch records (a later event with it is then a duplicate or a conflict). */
  remember(v: ValidEvent, month: string) {
    const key = v.event.idempotencyKey;
    if (key === undefined) return;
    this.byKey.set(keyOf(v.event.userId, key), {
      ...amountsOf(v.event, this.c.features),
      occurredAt: v.at,
      month,
    });
  }
}

/**
 * The answers to events whose key was already recorded: the same payload is a duplicate,
 * answered with its month row as it stands (from `months`, else read); another payload is a
 * CONFLICT. The same rule for one event, a grouped event and a batch.
 */
export async function answerKnown(
  db: Db,
  c: Columns,
  events: { v: ValidEvent; seen: KnownKey }[],
  months: Map<string, MonthlyUsage>,
): Promise<Map<number, BatchResult>> {
  const results = new Map<number, BatchResult>();
  const duplicates: { i: number; month: string }[] = [];
  for (const { v, seen } of events) {
    const same = samePayload(c.features, seen, {
      amounts: amountsOf(v.event, c.features),
      occurredAt: v.event.occurredAt,
    });
    if (same) duplicates.push({ i: v.i, month: monthKey(v.event.userId, seen.month) });
    else results.set(v.i, invalid("CONFLICT", conflictMessage(v.event.idempotencyKey)));
  }
  const missing = [...new Set(duplicates.map((d) => d.month))].filter((k) => !months.has(k));
  if (missing.length > 0) {
    const pairs = missing.map((k) => {
      const [userId, month] = k.split("\u0000") as [string, string];
      return { userId, month };
    });
    const read = await queryRows<MonthlyUsage & { userId: string; monthDate: string }>(
      db,
      readMonths(c, pairs),
    );
    for (const row of read) months.set(monthKey(row.userId, row.monthDate), c.monthlyOf(row));
  }
  for (const d of duplicates)
    results.set(d.i, { status: "duplicate", usage: months.get(d.month)! });
  return results;
}
