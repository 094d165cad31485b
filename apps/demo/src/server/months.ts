import "server-only";
import { now } from "./clock";

/** This UTC month by the demo's clock (`YYYY-MM`). */
export const currentMonth = () => now().toISOString().slice(0, 7);

/**
 * The month a page was asked for (`?month=`), if it is a real one and not ahead of this one (a
 * future month has no data); otherwise this month.
 */
export function chosenMonth(requested: string | undefined): string {
  const current = currentMonth();
  return requested && /^[1-9]\d{3}-(0[1-9]|1[0-2])$/.test(requested) && requested <= current
    ? requested
    : current;
}
