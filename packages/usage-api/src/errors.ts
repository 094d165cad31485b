import { TRPCError } from "@trpc/server";
import type { ZodError } from "zod";
import type { Feature } from "./limits/tiers";

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

/** Whether `error` is a refusal at a hard limit (`FORBIDDEN` with `limitExceeded`), server side. */
export const isRefusal = (error: unknown): error is TRPCError & { cause: LimitExceededError } =>
  error instanceof TRPCError && error.cause instanceof LimitExceededError;

/** The refusal an error carries (`{ feature, used, limit, requested }`), or null for any other. */
export const limitExceededOf = (error: unknown): LimitExceeded | null =>
  isRefusal(error) ? error.cause.limitExceeded : null;

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

export const badRequest = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });

/**
 * "seconds: must be >= 0; occurredAt: must be a date" — every issue with the field it names
 * (`root` names an issue about the whole value).
 */
export const describeZodError = (error: ZodError, root = "input") =>
  error.issues.map((i) => `${i.path.length ? i.path.join(".") : root}: ${i.message}`).join("; ");
