import type { LimitExceeded } from "../errors";
import type { Feature } from "../limits/tiers";
import type { BatchEvent } from "../schemas";
import type { MonthlyUsage } from "../store/columns";

/** One event's outcome in a batch (and of a grouped single event). */
export type BatchResult =
  | { status: "recorded" | "duplicate"; usage: MonthlyUsage }
  | { status: "refused"; limitExceeded: LimitExceeded }
  | { status: "invalid"; error: { code: "BAD_REQUEST" | "CONFLICT"; message: string } };

/** A valid event: its place in the input, when it happened, and the server's clock for it. */
export interface ValidEvent {
  i: number;
  event: BatchEvent;
  at: Date;
  now: Date;
}

export const invalid = (code: "BAD_REQUEST" | "CONFLICT", message: string): BatchResult => ({
  status: "invalid",
  error: { code, message },
});

/** The event's amount of every feature (0 where it names none). */
export const amountsOf = (e: Partial<Record<Feature, number>>, features: readonly Feature[]) =>
  Object.fromEntries(features.map((f) => [f, e[f] ?? 0])) as Record<Feature, number>;

export const conflictMessage = (key: string | undefined) =>
  `idempotencyKey: ${key} was recorded with another payload`;
