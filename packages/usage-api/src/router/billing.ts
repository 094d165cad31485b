import { getBillingHistory } from "../billing/bills";
import { recordPayment } from "../billing/payments";
import { setUserPlan } from "../billing/plans";
import { recordPaymentInput, setUserPlanInput, usageHistoryInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { createTRPCRouter, readProcedure, serviceProcedure } from "../transport/trpc";

/** Plans, payments and bills. */
export const billingRouter = createTRPCRouter({
  setUserPlan: serviceProcedure
    .input(setUserPlanInput)
    .mutation(({ ctx, input }) => setUserPlan(ctx.db, { ...input, now: ctx.now() })),
  recordPayment: serviceProcedure
    .input(recordPaymentInput)
    .mutation(({ ctx, input }) => recordPayment(ctx.db, { ...input, now: ctx.now() })),
  getBillingHistory: readProcedure.input(usageHistoryInput).query(({ ctx, input }) =>
    getBillingHistory(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      months: input.months,
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
});
