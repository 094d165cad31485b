import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { ZodError } from "zod";
import type { Feature } from "./tiers";

export interface LimitExceeded {
  feature: Feature;
  used: number;
  limit: number;
  requested: number;
}

/** The cause of a FORBIDDEN at a hard limit; the error formatter puts it in `data.limitExceeded`. */
export class LimitExceededError extends Error {
  constructor(readonly limitExceeded: LimitExceeded) {
    super(
      `limit exceeded for ${limitExceeded.feature}: ${limitExceeded.used} of ${limitExceeded.limit} used this month, ${limitExceeded.requested} more requested`,
    );
    this.name = "LimitExceededError";
  }
}

export const limitExceededError = (detail: LimitExceeded) => {
  const cause = new LimitExceededError(detail);
  return new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
};

/** The cause of a CONFLICT: the key was used before with another payload (`data.idempotencyKey`). */
export class IdempotencyConflictError extends Error {
  constructor(readonly idempotencyKey: string) {
    super(`idempotencyKey ${JSON.stringify(idempotencyKey)} was already used with another payload`);
    this.name = "IdempotencyConflictError";
  }
}

export const conflictError = (idempotencyKey: string) => {
  const cause = new IdempotencyConflictError(idempotencyKey);
  return new TRPCError({ code: "CONFLICT", message: cause.message, cause });
};

/**
 * The cause of a masked INTERNAL_SERVER_ERROR: the caller sees only `errorId` and a generic
 * message; the original error is logged with the same id.
 */
export class InternalError extends Error {
  readonly errorId = randomUUID();
  constructor() {
    super("internal server error");
    this.name = "InternalError";
  }
}

/** Where unexpected errors are written (one JSON line each); a host may pass its own. */
export type ErrorLogger = (entry: { errorId: string; path?: string; error: unknown }) => void;

const clip = (s: string | undefined, n: number) => (s && s.length > n ? `${s.slice(0, n)}…` : s);

export const consoleErrorLogger: ErrorLogger = ({ errorId, path, error }) => {
  const e = error instanceof Error ? error : new Error(String(error));
  const cause = (e as { cause?: unknown }).cause;
  console.error(
    JSON.stringify({
      level: "error",
      msg: "usagekit: internal error",
      errorId,
      path,
      error: clip(e.message, 2000),
      cause: cause instanceof Error ? clip(cause.message, 500) : undefined,
      code: (cause as { code?: string } | undefined)?.code ?? (e as { code?: string }).code,
      stack: clip(e.stack?.split("\n").slice(1, 8).join("\n"), 1500),
    }),
  );
};

/**
 * A TRPCError that says nothing about `error` but its `errorId` (logged with the details),
 * unless it already is a deliberate, non-internal TRPCError.
 */
export function maskError(error: unknown, log: ErrorLogger, path?: string): TRPCError {
  if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") return error;
  if (error instanceof TRPCError && error.cause instanceof InternalError) return error;
  const cause = new InternalError();
  log({ errorId: cause.errorId, path, error });
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: `internal server error (errorId ${cause.errorId})`,
    cause,
  });
}

export const badRequest = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });

/**
 * "seconds: must be >= 0; occurredAt: must be a date" — every issue with the field it names
 * (`root` names an issue about the whole value).
 */
export const describeZodError = (error: ZodError, root = "input") =>
  error.issues.map((i) => `${i.path.length ? i.path.join(".") : root}: ${i.message}`).join("; ");

const FUTURE_SLACK_MS = 5 * 60 * 1000;

/** Why `at` is too far ahead of the service's clock (more than 5 minutes), or null. */
export const futureMessage = (field: string, at: Date, now: Date): string | null =>
  at.getTime() > now.getTime() + FUTURE_SLACK_MS
    ? `${field}: must not be more than 5 minutes in the future`
    : null;

/** Instants (occurredAt, paidAt) may be at most 5 minutes ahead of the service's clock. */
export function assertNotFuture(field: string, at: Date, now: Date): void {
  const message = futureMessage(field, at, now);
  if (message) throw badRequest(message);
}

/** An event older than the window: the start of the previous month in the user's zone. */
export const OUT_OF_WINDOW =
  "occurredAt: must not be before the start of the previous month (in the user's time zone)";

/** A report's month may not lie ahead of every time zone's current month. */
export function assertNotFutureMonth(field: string, month: string, now: Date): void {
  const latest = new Date(now.getTime() + 14 * 3_600_000).toISOString().slice(0, 7);
  if (month > latest) throw badRequest(`${field}: ${month} is in the future`);
}

/**
 * A deadlock or serialization failure: PostgreSQL rolled the statement back and it may simply be
 * run again (nothing of it was written).
 */
export function isRetryableConflict(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: string }).code;
    if (code === "40P01" || code === "40001") return true;
  }
  return false;
}
