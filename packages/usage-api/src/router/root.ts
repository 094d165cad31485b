import { createCallerFactory, createTRPCRouter, mergeRouters } from "../transport/trpc";
import { analyticsRouter } from "./analytics";
import { billingRouter } from "./billing";
import { limitsRouter } from "./limits";
import { progressRouter } from "./progress";
import { recordRouter } from "./record";

/** Every per-user procedure under `usage.` (the contract's paths), one router per area. */
export const usageRouter = mergeRouters(recordRouter, limitsRouter, billingRouter, progressRouter);

export const appRouter = createTRPCRouter({ usage: usageRouter, analytics: analyticsRouter });
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
