import { TRPCError } from "@trpc/server";
import type { Feature } from "./tiers";

export interface LimitExceeded {
  feature: Feature;
  used: number;
  limit: number;
}

/** The cause of a FORBIDDEN at a hard limit; the error formatter puts it in `data.limitExceeded`. */
export class LimitExceededError extends Error {
  constructor(readonly limitExceeded: LimitExceeded) {
    super(
      `limit exceeded for ${limitExceeded.feature}: ${limitExceeded.used} of ${limitExceeded.limit} used this month`,
    );
    this.name = "LimitExceededError";
  }
}

export const limitExceededError = (detail: LimitExceeded) => {
  const cause = new LimitExceededError(detail);
  return new TRPCError({ code: "FORBIDDEN", message: cause.message, cause });
};

export const badRequest = (message: string) => new TRPCError({ code: "BAD_REQUEST", message });

const FUTURE_SLACK_MS = 5 * 60 * 1000;

/** Instants (occurredAt, paidAt) may be at most 5 minutes ahead of the service's clock. */
export function assertNotFuture(field: string, at: Date, now: Date): void {
  if (at.getTime() > now.getTime() + FUTURE_SLACK_MS) {
    throw badRequest(`${field} must not be more than 5 minutes in the future`);
  }
}
