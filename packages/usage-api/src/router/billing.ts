import type { CatalogShape } from "@usagekit/db/catalog";
import { getBillingHistory } from "../billing/bills";
import { recordPayment } from "../billing/payments";
import { setUserPlan } from "../billing/plans";
import { grantUsage } from "../grants/grant";
import { usageHistoryInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { catalogWrite } from "../transport/catalog-input";
import type { CatalogInputTypes } from "../transport/catalog-input";
import { createTRPCRouter } from "../transport/trpc";
import type { Procedures } from "../transport/trpc";

/** Plans, payments, grants and bills. */
export const billingRouter = <C extends CatalogShape>(p: Procedures, types: CatalogInputTypes<C>) =>
  createTRPCRouter({
    setUserPlan: catalogWrite(p.service, "setUserPlanInput", types.setUserPlan, setUserPlan),
    recordPayment: catalogWrite(
      p.service,
      "recordPaymentInput",
      types.recordPayment,
      recordPayment,
    ),
    /** Grants (top-ups, credits) on top of the tier's allowance. */
    grantUsage: catalogWrite(p.service, "grantUsageInput", types.grantUsage, grantUsage),
    getBillingHistory: p.read.input(usageHistoryInput).query(({ ctx, input }) =>
      getBillingHistory(ctx.db, {
        userId: actingUser(ctx.auth, input.userId),
        months: input.months,
        now: ctx.now(),
        tiers: ctx.tiers,
      }),
    ),
  });
