import { monthInput, monthListInput, retentionInput, userSegmentsInput } from "../schemas";
import { dropOff, featureAdoption, retention, userSegments } from "../analytics/activity";
import { overageReport, upgradeCandidates } from "../analytics/billing";
import { featureValue } from "../analytics/value";
import { assertNotFutureMonth } from "../calendar/window";
import { analyticsProcedure, createTRPCRouter } from "../transport/trpc";
import type { Context } from "../transport/trpc";

/** The input with its month(s) checked against the clock: a future month is BAD_REQUEST. */
const notFuture = <T extends { month?: string; fromMonth?: string }>(ctx: Context, input: T): T => {
  if (input.month) assertNotFutureMonth("month", input.month, ctx.now());
  if (input.fromMonth) assertNotFutureMonth("fromMonth", input.fromMonth, ctx.now());
  return input;
};

/** Cross-user reports for the app owner (analyst or service). */
export const analyticsRouter = createTRPCRouter({
  featureAdoption: analyticsProcedure
    .input(monthInput)
    .query(({ ctx, input }) => featureAdoption(ctx.db, notFuture(ctx, input))),
  featureValue: analyticsProcedure
    .input(monthInput)
    .query(({ ctx, input }) => featureValue(ctx.db, notFuture(ctx, input))),
  userSegments: analyticsProcedure
    .input(userSegmentsInput)
    .query(({ ctx, input }) => userSegments(ctx.db, notFuture(ctx, input))),
  retention: analyticsProcedure
    .input(retentionInput)
    .query(({ ctx, input }) => retention(ctx.db, notFuture(ctx, input))),
  dropOff: analyticsProcedure
    .input(monthInput)
    .query(({ ctx, input }) => dropOff(ctx.db, { ...notFuture(ctx, input), now: ctx.now() })),
  upgradeCandidates: analyticsProcedure
    .input(monthListInput)
    .query(({ ctx, input }) =>
      upgradeCandidates(ctx.db, { ...notFuture(ctx, input), tiers: ctx.tiers }),
    ),
  overage: analyticsProcedure
    .input(monthListInput)
    .query(({ ctx, input }) =>
      overageReport(ctx.db, { ...notFuture(ctx, input), tiers: ctx.tiers }),
    ),
});
