/**
 * Grants (top-ups, credits): an allowance of one feature on top of the tier's, used after the
 * month's own allowance and any rollover, oldest-expiring first, across months, until used up or
 * `expiresAt`. Like holds, a grant stops counting at `expiresAt` with no job running. Kept free of
 * imports beyond the rule, so browser code can take the same arithmetic.
 */
export interface LiveGrant {
  id: string;
  feature: string;
  remaining: number;
  /** ISO instant, or null: it never expires. */
  expiresAt: string | null;
  createdAt: string;
}

const expiry = (g: LiveGrant) => (g.expiresAt === null ? Infinity : Date.parse(g.expiresAt));

/** Whether a grant still counts at `now`. */
export const isLive = (g: LiveGrant, now: Date) => g.remaining > 0 && expiry(g) > now.getTime();

/** The grants of `feature` that count at `now`, in the order they are used: oldest-expiring first. */
export const liveGrants = (grants: readonly LiveGrant[], feature: string, now: Date) =>
  grants
    .filter((g) => g.feature === feature && isLive(g, now))
    .sort(
      (a, b) =>
        expiry(a) - expiry(b) ||
        Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
        (a.id < b.id ? -1 : 1),
    );

/** What the grants of `feature` still give at `now`. */
export const availableOf = (grants: readonly LiveGrant[], feature: string, now: Date) =>
  liveGrants(grants, feature, now).reduce((sum, g) => sum + g.remaining, 0);

/**
 * What an event of `amount` units on top of `before` takes from grants: the part of it past
 * `cover` (the month's own allowance, rollover, and what grants gave this month already) — a
 * part already past it before the event is not taken again — at most what is `available`.
 */
export const takeOf = (cover: number, before: number, amount: number, available: number) =>
  Math.min(available, Math.max(0, before + amount - cover) - Math.max(0, before - cover));

/** `take` units spread over the grants in their order of use: `[grant id, units]`. */
export function spendGrants(
  grants: readonly LiveGrant[],
  feature: string,
  now: Date,
  take: number,
): [string, number][] {
  const spent: [string, number][] = [];
  let left = take;
  for (const g of liveGrants(grants, feature, now)) {
    if (left <= 0) break;
    const units = Math.min(left, g.remaining);
    g.remaining -= units;
    left -= units;
    spent.push([g.id, units]);
  }
  return spent;
}
