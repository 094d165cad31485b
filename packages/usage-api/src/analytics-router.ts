import { monthInput, monthListInput, retentionInput, userSegmentsInput } from "./schemas";
import { dropOff, featureAdoption, retention, userSegments } from "./service/analytics-activity";
import { overageReport, upgradeCandidates } from "./service/analytics-billing";
import { createTRPCRouter, serviceProcedure } from "./trpc";

/** Cross-user reports for the app owner (service only); months are UTC `YYYY-MM`. */
export const analyticsRouter = createTRPCRouter({
  featureAdoption: serviceProcedure
    .input(monthInput)
    .query(({ ctx, input }) => featureAdoption(ctx.db, input)),
  userSegments: serviceProcedure
    .input(userSegmentsInput)
    .query(({ ctx, input }) => userSegments(ctx.db, input)),
  retention: serviceProcedure
    .input(retentionInput)
    .query(({ ctx, input }) => retention(ctx.db, input)),
  dropOff: serviceProcedure
    .input(monthInput)
    .query(({ ctx, input }) => dropOff(ctx.db, { ...input, now: ctx.now() })),
  upgradeCandidates: serviceProcedure
    .input(monthListInput)
    .query(({ ctx, input }) => upgradeCandidates(ctx.db, { ...input, tiers: ctx.tiers })),
  overage: serviceProcedure
    .input(monthListInput)
    .query(({ ctx, input }) => overageReport(ctx.db, { ...input, tiers: ctx.tiers })),
});
