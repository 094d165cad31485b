import { badRequest } from "../errors";

/** The UTC month (`YYYY-MM`) of the instant `at`: the current month of the reports at `now`. */
export const utcYearMonth = (at: Date): string => at.toISOString().slice(0, 7);

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
  const latest = utcYearMonth(new Date(now.getTime() + 14 * 3_600_000));
  if (month > latest) throw badRequest(`${field}: ${month} is in the future`);
}
