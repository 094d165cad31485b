import { analyticsRouter } from "./analytics-router";
import { actingUser } from "./auth";
import {
  canUseFeatureInput,
  recordPaymentInput,
  recordUsageInput,
  setUserPlanInput,
  usageHistoryInput,
  userInput,
} from "./schemas";
import { canUseFeature, getCurrentUsage } from "./service/current-usage";
import { getUsageHistory } from "./service/history";
import { getLifetimeStats } from "./service/lifetime";
import { getMilestones } from "./service/milestones";
import { recordPayment } from "./service/payments";
import { setUserPlan } from "./service/plans";
import { recordUsage } from "./service/record-usage";
import { authedProcedure, createCallerFactory, createTRPCRouter, serviceProcedure } from "./trpc";

export const usageRouter = createTRPCRouter({
  recordUsage: authedProcedure
    .input(recordUsageInput)
    .mutation(({ ctx, input: { userId, ...event } }) =>
      recordUsage(ctx.db, {
        ...event,
        userId: actingUser(ctx.auth, userId),
        now: ctx.now(),
        tiers: ctx.tiers,
      }),
    ),
  canUseFeature: authedProcedure.input(canUseFeatureInput).query(({ ctx, input }) =>
    canUseFeature(ctx.db, {
      ...input,
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getLifetimeStats: authedProcedure
    .input(userInput)
    .query(({ ctx, input }) =>
      getLifetimeStats(ctx.db, { userId: actingUser(ctx.auth, input.userId), now: ctx.now() }),
    ),
  getCurrentUsage: authedProcedure.input(userInput).query(({ ctx, input }) =>
    getCurrentUsage(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getUsageHistory: authedProcedure.input(usageHistoryInput).query(({ ctx, input }) =>
    getUsageHistory(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      months: input.months,
      now: ctx.now(),
    }),
  ),
  getMilestones: authedProcedure
    .input(userInput)
    .query(({ ctx, input }) =>
      getMilestones(ctx.db, { userId: actingUser(ctx.auth, input.userId), now: ctx.now() }),
    ),
  setUserPlan: serviceProcedure
    .input(setUserPlanInput)
    .mutation(({ ctx, input }) => setUserPlan(ctx.db, input)),
  recordPayment: serviceProcedure
    .input(recordPaymentInput)
    .mutation(({ ctx, input }) => recordPayment(ctx.db, { ...input, now: ctx.now() })),
});

export const appRouter = createTRPCRouter({ usage: usageRouter, analytics: analyticsRouter });
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
