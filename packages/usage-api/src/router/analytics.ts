import type { z } from "zod";
import { dropOff, featureAdoption, retention, userSegments } from "../analytics/activity";
import { overageReport, upgradeCandidates } from "../analytics/billing";
import { featureValue } from "../analytics/value";
import { monetization } from "../analytics/monetization";
import { simulateCatalog } from "../analytics/simulate";
import { assertNotFutureMonth, utcYearMonth } from "../calendar/window";
import {
  monthInput,
  monthListInput,
  retentionInput,
  simulateCatalogInput,
  userSegmentsInput,
} from "../schemas";
import { createTRPCRouter } from "../transport/trpc";
import type { Context, Procedures } from "../transport/trpc";
import type { Tiers } from "../limits/tiers";
import type { Db } from "@usagekit/db";
import { onReplica } from "../transport/replica";
import { foldBeforeReport } from "../rollups/refresh";

type MonthsIn = { month?: string; fromMonth?: string };

/** Cross-user reports for the app owner (analyst or service), on the read replica if any. */
export const analyticsRouter = (p: Procedures) => {
  /**
   * A report: its input with the month(s) checked against the clock first (a future month is
   * BAD_REQUEST), then `run` with the call's catalog.
   */
  const report = <S extends z.ZodType<MonthsIn>, R>(
    input: S,
    run: (ctx: Context & { db: Db }, input: z.output<S> & { tiers: Tiers }) => Promise<R>,
    rollups: false | "rollups" | "forecasts" = false,
  ) =>
    p.analytics.input(input).query(async ({ ctx, input }) => {
      const { month, fromMonth } = input as MonthsIn;
      if (month) assertNotFutureMonth("month", month, ctx.now());
      if (fromMonth) assertNotFutureMonth("fromMonth", fromMonth, ctx.now());
      // The current month's candidates read the kept forecasts: brought up to date too.
      const forecasts = rollups === "forecasts" && month === utcYearMonth(ctx.now());
      if (rollups) await foldBeforeReport(ctx, forecasts);
      // On the replica when there is one: a report may lag, a limit never reads there.
      return onReplica(ctx, (db) =>
        run({ ...ctx, db }, { ...(input as z.output<S>), tiers: ctx.tiers }),
      );
    });
  return createTRPCRouter({
    // From the rollups (`rollups/`), folded up to date first when answered by the primary.
    featureAdoption: report(monthInput, (ctx, i) => featureAdoption(ctx.db, i), "rollups"),
    featureValue: report(monthInput, (ctx, i) => featureValue(ctx.db, i), "rollups"),
    userSegments: report(userSegmentsInput, (ctx, i) => userSegments(ctx.db, i), "rollups"),
    retention: report(retentionInput, (ctx, i) => retention(ctx.db, i), "rollups"),
    dropOff: report(monthInput, (ctx, i) => dropOff(ctx.db, { ...i, now: ctx.now() }), "rollups"),
    // The month's plans from `rollup_months`, refusals and overage from their own tables, the
    // current month's forecasts from those kept (`rollups/forecasts.ts`).
    upgradeCandidates: report(
      monthListInput,
      (ctx, i) => upgradeCandidates(ctx.db, { ...i, now: ctx.now() }),
      "forecasts",
    ),
    simulateCatalog: report(simulateCatalogInput, (ctx, i) => simulateCatalog(ctx.db, i)),
    overage: report(monthListInput, (ctx, i) => overageReport(ctx.db, i)),
    monetization: report(monthInput, (ctx, i) => monetization(ctx.db, i)),
  });
};
