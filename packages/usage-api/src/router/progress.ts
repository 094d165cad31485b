import type { CatalogShape } from "@usagekit/db/catalog";
import type { z } from "zod";
import type { Tiers } from "../limits/tiers";
import { getUsageHistory } from "../progress/history";
import { getLifetimeStats } from "../progress/lifetime";
import { getMilestones } from "../progress/milestones";
import { getForecast } from "../progress/forecast";
import { getRecommendations } from "../progress/recommendations";
import { listAlertsInput, usageHistoryInput, userInput } from "../schemas";
import { listAlerts } from "../alerts/list";
import { actingUser } from "../transport/auth";
import { createTRPCRouter } from "../transport/trpc";
import type { Context, Procedures } from "../transport/trpc";
import type { LifetimeStatsOf, MonthlyUsageOf } from "./outputs";

type Reader = { userId: string; now: Date; tiers: Tiers };

/** A learner's own progress: lifetime, months, milestones, what to do next. */
export const progressRouter = <C extends CatalogShape>(p: Procedures) => {
  /** A read of one user's progress: the acting user, the clock and the catalog, then `run`. */
  const read = <S extends z.ZodType<{ userId?: string }>, R>(
    input: S,
    run: (ctx: Context, reader: Reader, input: z.output<S>) => Promise<R>,
  ) =>
    p.read.input(input).query(({ ctx, input }) => {
      const userId = actingUser(ctx.auth, (input as { userId?: string }).userId);
      return run(ctx, { userId, now: ctx.now(), tiers: ctx.tiers }, input as z.output<S>);
    });
  return createTRPCRouter({
    getLifetimeStats: read(
      userInput,
      async (ctx, r) => (await getLifetimeStats(ctx.db, r)) as unknown as LifetimeStatsOf<C>,
    ),
    getUsageHistory: read(
      usageHistoryInput,
      async (ctx, r, i) =>
        (await getUsageHistory(ctx.db, {
          ...r,
          months: i.months,
        })) as unknown as MonthlyUsageOf<C>[],
    ),
    getRecommendations: read(userInput, (ctx, r) => getRecommendations(ctx.db, r)),
    getMilestones: read(userInput, (ctx, r) => getMilestones(ctx.db, r)),
    /** When the learner will reach each limit at their own pace. */
    getForecast: read(userInput, (ctx, r) => getForecast(ctx.db, r)),
    /** The user's alerts: its usage of a feature reached a threshold of its limit. */
    listAlerts: read(listAlertsInput, (ctx, r, i) => listAlerts(ctx.db, { ...r, since: i.since })),
  });
};
