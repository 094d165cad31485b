import { getUsageHistory } from "../progress/history";
import { getLifetimeStats } from "../progress/lifetime";
import { getMilestones } from "../progress/milestones";
import { getRecommendations } from "../progress/recommendations";
import { usageHistoryInput, userInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { createTRPCRouter, readProcedure } from "../transport/trpc";
import type { Context } from "../transport/trpc";

/** The reads of one user's progress take the same clock and user. */
const reader = (ctx: Context, input: { userId?: string }) => ({
  userId: actingUser(ctx.auth, input.userId),
  now: ctx.now(),
});

/** A learner's own progress: lifetime, months, milestones, what to do next. */
export const progressRouter = createTRPCRouter({
  getLifetimeStats: readProcedure
    .input(userInput)
    .query(({ ctx, input }) => getLifetimeStats(ctx.db, reader(ctx, input))),
  getUsageHistory: readProcedure
    .input(usageHistoryInput)
    .query(({ ctx, input }) =>
      getUsageHistory(ctx.db, { ...reader(ctx, input), months: input.months }),
    ),
  getRecommendations: readProcedure
    .input(userInput)
    .query(({ ctx, input }) =>
      getRecommendations(ctx.db, { ...reader(ctx, input), tiers: ctx.tiers }),
    ),
  getMilestones: readProcedure
    .input(userInput)
    .query(({ ctx, input }) => getMilestones(ctx.db, reader(ctx, input))),
});
