import type { Feature, TierConfig, TierName, Tiers } from "./tiers";

/** A past month of a user as rollover reads it: its tier and usage (no row: nothing used). */
export interface PastMonth {
  /** `YYYY-MM`. */
  month: string;
  tier: TierName;
  used: Partial<Record<Feature, number>>;
}

/** `YYYY-MM` `n` months before `month`. */
export function monthsBefore(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const index = y * 12 + (m - 1) - n;
  return `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/**
 * What rolls over into `month` of `feature` at the tier `config` (none without its `rollover`):
 * the unused part of the tier allowance of each of the previous `months` months — a month's
 * allowance at the tier of its usage, or, with no usage, at today's tier; months before the
 * user's first usage (`since`) count nothing — at most `max` in all. A month that used more than its own
 * allowance drew on what earlier months of the window rolled over, so that part is not counted
 * again. Computed whenever it is needed, never stored: nothing runs at the month change.
 */
export function rolledOverOf(
  tiers: Tiers,
  config: TierConfig,
  feature: Feature,
  month: string,
  past: readonly PastMonth[],
  since: string | null,
): number {
  const rule = config[feature].rollover;
  if (!rule || since === null) return 0;
  let pool = 0;
  for (let k = rule.months; k >= 1; k--) {
    const m = monthsBefore(month, k);
    if (m < since) continue;
    const row = past.find((p) => p.month === m);
    const allowance = (row ? tiers[row.tier] : config)[feature].limit ?? 0;
    const used = row?.used[feature] ?? 0;
    pool -= Math.min(pool, Math.max(0, used - allowance));
    pool += Math.max(0, allowance - used);
  }
  return Math.min(pool, rule.max ?? pool);
}
