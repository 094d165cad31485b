import { catalog as defaultCatalog } from "@usagekit/db/catalog";
import type { CatalogShape } from "@usagekit/db/catalog";
import { modelOf } from "../catalog/model";
import { catalogInputTypes } from "../transport/catalog-input";
import {
  createCallerFactory,
  createTRPCRouter,
  mergeRouters,
  proceduresFor,
} from "../transport/trpc";
import { analyticsRouter } from "./analytics";
import { billingRouter } from "./billing";
import { limitsRouter } from "./limits";
import { privacyRouter } from "./privacy";
import { progressRouter } from "./progress";
import { recordRouter } from "./record";
import { reservationsRouter } from "./reservations";

/**
 * usagekit's routers for a catalog: every per-user procedure under `usage.` (the contract's
 * paths), one router per area, and the reports under `analytics.`. Inputs and answers are typed
 * with the catalog's own features and tiers; a context made without a catalog runs with this one.
 */
function routersFor<const C extends CatalogShape>(catalog: C) {
  const p = proceduresFor(modelOf(catalog));
  const types = catalogInputTypes<C>();
  const usageRouter = mergeRouters(
    recordRouter<C>(p, types),
    limitsRouter<C>(p, types),
    billingRouter<C>(p, types),
    progressRouter<C>(p),
    reservationsRouter<C>(p, types),
    privacyRouter(p),
  );
  const appRouter = createTRPCRouter({ usage: usageRouter, analytics: analyticsRouter(p) });
  return { usageRouter, appRouter };
}

/** The usage router (procedures under `usage.`) for a host's catalog (`defineCatalog`). */
export const createUsageRouter = <const C extends CatalogShape>(catalog: C) =>
  routersFor(catalog).usageRouter;
/** The app router (`usage.` and `analytics.`) for a host's catalog (`defineCatalog`). */
export const createAppRouter = <const C extends CatalogShape>(catalog: C) =>
  routersFor(catalog).appRouter;

/** The routers of the default (language-learning) catalog. */
export const { usageRouter, appRouter } = routersFor(defaultCatalog);
export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
