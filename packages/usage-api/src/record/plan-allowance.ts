import type { Db } from "@usagekit/db";
import { allowanceOf, hardLimitsOf } from "../limits/allowance";
import type { AllowanceContext } from "../limits/allowance";
import { readAllowances } from "../limits/allowance-sql";
import { spendGrants, takeOf } from "../limits/grants";
import type { LiveGrant } from "../limits/grants";
import { overageOf, softLimitOf } from "../limits/tiers";
import type { BillableFeature, Feature, TierName, Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import { monthKey } from "./idempotency";

type Amounts = Record<Feature, number>;

/** What one planned event takes from grants and bills, per feature (empty maps: nothing). */
export interface EventAllowance {
  /** Units taken from grants. */
  granted: Partial<Amounts>;
  /** Overage units it bills. */
  overage: Partial<Record<BillableFeature, number>>;
  /** Units the soft-limit formula would bill that rollover or grants covered. */
  covered: Partial<Record<BillableFeature, number>>;
}

/**
 * The allowances of the months a planned batch touches (read under its users' locks), kept as
 * the plan goes: each event judged against the hard limits with rollover and grants, and what it
 * takes from grants (oldest-expiring first) and bills past a soft limit worked out by the one
 * rule (`limits/allowance.ts`).
 */
export class PlanAllowances {
  /** Per grant, the units the plan takes from it. */
  readonly spends = new Map<string, { userId: string; units: number }>();

  private constructor(
    private readonly tiers: Tiers,
    private readonly contexts: Map<string, AllowanceContext>,
  ) {}

  static async read(db: Db, tiers: Tiers, months: { userId: string; month: string }[]) {
    const contexts = new Map<string, AllowanceContext>();
    // One list of grants per user, shared by its months: what one month takes, another sees gone.
    const grants = new Map<string, LiveGrant[]>();
    for (const { userId, monthDate, ...ctx } of await readAllowances(db, tiers, months)) {
      if (!grants.has(userId)) grants.set(userId, ctx.grants);
      contexts.set(monthKey(userId, monthDate), { ...ctx, grants: grants.get(userId)! });
    }
    return new PlanAllowances(tiers, contexts);
  }

  private context(userId: string, month: string) {
    return this.contexts.get(monthKey(userId, month))!;
  }

  /** The hard limits an event of the user in `month` is judged by at `now`. */
  hardLimits(userId: string, month: string, tier: TierName, now: Date) {
    return hardLimitsOf(this.tiers, tier, this.context(userId, month), now);
  }

  /** Plans a recorded event on top of `before`: its takes from grants, overage and cover. */
  apply(
    userId: string,
    month: string,
    tier: TierName,
    before: Amounts,
    amounts: Amounts,
    now: Date,
  ): EventAllowance {
    const { features } = columnsOf(this.tiers);
    const ctx = this.context(userId, month);
    const config = this.tiers[tier];
    const result: EventAllowance = { granted: {}, overage: {}, covered: {} };
    for (const f of features) {
      if (amounts[f] === 0) continue;
      const { cover, available } = allowanceOf(this.tiers, tier, f, ctx, now);
      const take = available > 0 ? takeOf(cover, before[f], amounts[f], available) : 0;
      if (take > 0) {
        result.granted[f] = take;
        ctx.spent[f] = (ctx.spent[f] ?? 0) + take;
        for (const [id, units] of spendGrants(ctx.grants, f, now, take)) {
          const spend = this.spends.get(id) ?? { userId, units: 0 };
          this.spends.set(id, { userId, units: spend.units + units });
        }
      }
      const soft = softLimitOf(config, f);
      if (soft === null) continue;
      const b = f as BillableFeature;
      const billed = overageOf(cover, before[f], amounts[f]) - take;
      const replayed = overageOf(soft, before[f], amounts[f]);
      if (billed > 0) result.overage[b] = billed;
      if (replayed !== billed) result.covered[b] = replayed - billed;
    }
    return result;
  }
}
