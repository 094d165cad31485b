import type { CatalogShape } from "@usagekit/db/catalog";
import { getBillingHistory } from "../billing/bills";
import { recordPayment } from "../billing/payments";
import { setUserPlan } from "../billing/plans";
import type { TierName } from "../limits/tiers";
import { usageHistoryInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { catalogInput } from "../transport/catalog-input";
import type { CatalogInputTypes } from "../transport/catalog-input";
import { createTRPCRouter } from "../transport/trpc";
import type { Procedures } from "../transport/trpc";

/** Plans, payments and bills. */
export const billingRouter = <C extends CatalogShape>(p: Procedures, types: CatalogInputTypes<C>) =>
  createTRPCRouter({
    setUserPlan: p.service
      .use(catalogInput("setUserPlanInput"))
      .input(types.setUserPlan)
      .mutation(({ ctx, input }) =>
        setUserPlan(ctx.db, {
          ...input,
          tier: input.tier as TierName,
          now: ctx.now(),
          tiers: ctx.tiers,
        }),
      ),
    recordPayment: p.service
      .use(catalogInput("recordPaymentInput"))
      .input(types.recordPayment)
      .mutation(({ ctx, input }) =>
        recordPayment(ctx.db, {
          ...input,
          tier: input.tier as TierName,
          now: ctx.now(),
          tiers: ctx.tiers,
        }),
      ),
    getBillingHistory: p.read.input(usageHistoryInput).query(({ ctx, input }) =>
      getBillingHistory(ctx.db, {
        userId: actingUser(ctx.auth, input.userId),
        months: input.months,
        now: ctx.now(),
        tiers: ctx.tiers,
      }),
    ),
  });
