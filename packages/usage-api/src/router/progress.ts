import type { z } from "zod";
import { getUsageHistory } from "../progress/history";
import { getLifetimeStats } from "../progress/lifetime";
import { getMilestones } from "../progress/milestones";
import { getRecommendations } from "../progress/recommendations";
import { usageHistoryInput, userInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { createTRPCRouter, readProcedure } from "../transport/trpc";
import type { Context } from "../transport/trpc";

type Reader = { userId: string; now: Date };

/** A read of one user's progress: the acting user and the clock, then `run`. */
const read = <S extends z.ZodType<{ userId?: string }>, R>(
  input: S,
  run: (ctx: Context, reader: Reader, input: z.output<S>) => Promise<R>,
) =>
  readProcedure.input(input).query(({ ctx, input }) => {
    const userId = actingUser(ctx.auth, (input as { userId?: string }).userId);
    return run(ctx, { userId, now: ctx.now() }, input as z.output<S>);
  });

/** A learner's own progress: lifetime, months, milestones, what to do next. */
export const progressRouter = createTRPCRouter({
  getLifetimeStats: read(userInput, (ctx, r) => getLifetimeStats(ctx.db, r)),
  getUsageHistory: read(usageHistoryInput, (ctx, r, i) =>
    getUsageHistory(ctx.db, { ...r, months: i.months }),
  ),
  getRecommendations: read(userInput, (ctx, r) =>
    getRecommendations(ctx.db, { ...r, tiers: ctx.tiers }),
  ),
  getMilestones: read(userInput, (ctx, r) => getMilestones(ctx.db, r)),
});
