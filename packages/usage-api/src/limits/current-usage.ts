import type { Db } from "@usagekit/db";
import { hardLimitOf } from "./tiers";
import { heldOf } from "./holds";
import { allowanceOf } from "./allowance";
import { fits, remainingOf } from "./rule";
import type { Feature, TierName, Tiers } from "./tiers";
import { columnsOf } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import { readUserMonth } from "./user-month";
import type { UserMonth } from "./user-month";

interface ReadParams {
  userId: string;
  now: Date;
  tiers: Tiers;
}

export interface CurrentUsage extends MonthlyUsage {
  tier: TierName;
  period: { start: Date; end: Date };
  /**
   * Per feature: used this month, the limit (the tier's, what rolled over and grants), what
   * active holds keep, what remains of it, and the parts of the limit rollover and grants give.
   */
  features: Record<
    Feature,
    {
      used: number;
      limit: number | null;
      remaining: number | null;
      held: number;
      rolledOver: number;
      granted: number;
    }
  >;
}

/** One feature this month: used, its limit with rollover and grants, held, and what remains. */
function featureNow(m: UserMonth, f: Feature, params: ReadParams) {
  const used = m.usage?.[columnsOf(params.tiers).monthlyField[f]] ?? 0;
  const held = heldOf(m.holds, f, params.now);
  const { limit, rolledOver, granted } = allowanceOf(
    params.tiers,
    m.tier,
    f,
    m.allowance,
    params.now,
  );
  return { used, limit, remaining: remainingOf(limit, used + held), held, rolledOver, granted };
}

/** This local month's usage with the tier's limit and what remains of it for every feature. */
export async function getCurrentUsage(db: Db, params: ReadParams): Promise<CurrentUsage> {
  const { features, emptyMonthly } = columnsOf(params.tiers);
  const m = await readUserMonth(db, params.userId, params.now, params.tiers);
  const usage = m.usage ?? emptyMonthly(m.month, m.periodStart, m.periodEnd, m.tier);
  const perFeature = Object.fromEntries(
    features.map((f) => [f, featureNow(m, f, params)]),
  ) as CurrentUsage["features"];
  return {
    ...usage,
    tier: m.tier,
    period: { start: m.periodStart, end: m.periodEnd },
    features: perFeature,
  };
}

export interface CanUseFeatureResult {
  allowed: boolean;
  feature: Feature;
  tier: TierName;
  used: number;
  limit: number | null;
  remaining: number | null;
  overage: boolean;
  resetsAt: Date;
  /** What the user's active holds (reservations) keep of it: counted against a hard limit. */
  held: number;
  /** The parts of `limit` that rolled over from earlier months and that grants give. */
  rolledOver: number;
  granted: number;
}

/**
 * Whether `amount` more of `feature` fits this month, by the tier's limit as configured on the
 * server. A soft limit always allows (the excess is billable overage).
 */
export async function canUseFeature(
  db: Db,
  params: ReadParams & { feature: Feature; amount: number },
): Promise<CanUseFeatureResult> {
  const m = await readUserMonth(db, params.userId, params.now, params.tiers);
  const config = params.tiers[m.tier];
  const { used, limit, remaining, held, rolledOver, granted } = featureNow(
    m,
    params.feature,
    params,
  );
  const hard = hardLimitOf(config, params.feature) === null ? null : limit;
  return {
    allowed: fits(used + held, params.amount, hard),
    feature: params.feature,
    tier: m.tier,
    used,
    limit,
    remaining,
    overage: Boolean(config[params.feature].overage),
    resetsAt: m.periodEnd,
    held,
    rolledOver,
    granted,
  };
}
