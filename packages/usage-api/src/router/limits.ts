import { canUseFeature, getCurrentUsage } from "../limits/current-usage";
import { canUseFeatureInput, userInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { createTRPCRouter, readProcedure } from "../transport/trpc";

/** What a user may still use this month. */
export const limitsRouter = createTRPCRouter({
  canUseFeature: readProcedure.input(canUseFeatureInput).query(({ ctx, input }) =>
    canUseFeature(ctx.db, {
      ...input,
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
  getCurrentUsage: readProcedure.input(userInput).query(({ ctx, input }) =>
    getCurrentUsage(ctx.db, {
      userId: actingUser(ctx.auth, input.userId),
      now: ctx.now(),
      tiers: ctx.tiers,
    }),
  ),
});
