import { TRPCError } from "@trpc/server";
import { analyticsRouter } from "./analytics-router";
import { actingUser } from "./auth";
import {
  canUseFeatureInput,
  recordPaymentInput,
  recordUsageBatchInput,
  recordUsageInput,
  setUserPlanInput,
  usageHistoryInput,
  userInput,
} from "./schemas";
import { canUseFeature, getCurrentUsage } from "./service/current-usage";
import { getBillingHistory } from "./service/billing-history";
import { getUsageHistory } from "./service/history";
import { getLifetimeStats } from "./service/lifetime";
import { getMilestones } from "./service/milestones";
import { recordPayment } from "./service/payments";
import { setUserPlan } from "./service/plans";
import { getRecommendations } from "./service/recommendations";
import { recordUsageBatch } from "./service/record-batch";
import { recordUsage } from "./service/record-usage";
import {
  createCallerFactory,
  createTRPCRouter,
  readProcedure,
  serviceProcedure,
  writeProcedure,
} from "./trpc";
import type { Context } from "./trpc";

/** An end user's writes are always enforced, at the server's time. */
function endUserRules(ctx: Context, input: { enforceLimits?: boolean; occurredAt?: Date }) {
  if (ctx.auth.type !== "user") return;
  if (input.enforceLimits === false || input.occurredAt !== undefined) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "end users may not set enforceLimits: false or occurredAt",
    });
  }
}

export const usageRouter = createTRPCRouter({
  recordUsage: writeProcedure
    .input(recordUsageInput)
    .mutation(({ ctx, input: { userId, ...event } }) => {
      endUserRules(ctx, event);
      return recordUsage(ctx.db, {
        ...event,
        enforceLimits: ctx.auth.type === "user" ? true : event.enforceLimits,
        userId: actingUser(ctx.auth, userId),
        now: ctx.now(),
        tiers: ctx.tiers,
      });
    }),
  canUseFeature: readProcedure.input(canUseFeatureInput).query(({ ctx, input }) =>
    canUseFeature(ctx.db, {
      ...input,
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getLifetimeStats: readProcedure
    .input(userInput)
    .query(({ ctx, input }) =>
      getLifetimeStats(ctx.db, { userId: actingUser(ctx.auth, input.userId), now: ctx.now() }),
    ),
  getCurrentUsage: readProcedure.input(userInput).query(({ ctx, input }) =>
    getCurrentUsage(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getUsageHistory: readProcedure.input(usageHistoryInput).query(({ ctx, input }) =>
    getUsageHistory(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      months: input.months,
      now: ctx.now(),
    }),
  ),
  getBillingHistory: readProcedure.input(usageHistoryInput).query(({ ctx, input }) =>
    getBillingHistory(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      months: input.months,
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getRecommendations: readProcedure.input(userInput).query(({ ctx, input }) =>
    getRecommendations(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getMilestones: readProcedure
    .input(userInput)
    .query(({ ctx, input }) =>
      getMilestones(ctx.db, { userId: actingUser(ctx.auth, input.userId), now: ctx.now() }),
    ),
  setUserPlan: serviceProcedure
    .input(setUserPlanInput)
    .mutation(({ ctx, input }) => setUserPlan(ctx.db, { ...input, now: ctx.now() })),
  recordPayment: serviceProcedure
    .input(recordPaymentInput)
    .mutation(({ ctx, input }) => recordPayment(ctx.db, { ...input, now: ctx.now() })),
  recordUsageBatch: serviceProcedure
    .input(recordUsageBatchInput)
    .mutation(({ ctx, input }) =>
      recordUsageBatch(ctx.db, { events: input.events, now: ctx.now(), tiers: ctx.tiers }),
    ),
});

export const appRouter = createTRPCRouter({ usage: usageRouter, analytics: analyticsRouter });
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
