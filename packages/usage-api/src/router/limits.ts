import type { CatalogShape } from "@usagekit/db/catalog";
import { canUseFeature, getCurrentUsage } from "../limits/current-usage";
import type { Feature } from "../limits/tiers";
import { userInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { catalogInput } from "../transport/catalog-input";
import type { CatalogInputTypes } from "../transport/catalog-input";
import { createTRPCRouter } from "../transport/trpc";
import type { Procedures } from "../transport/trpc";
import type { CanUseFeatureResultOf, CurrentUsageOf } from "./outputs";

/** What a user may still use this month. */
export const limitsRouter = <C extends CatalogShape>(p: Procedures, types: CatalogInputTypes<C>) =>
  createTRPCRouter({
    canUseFeature: p.read
      .use(catalogInput("canUseFeatureInput"))
      .input(types.canUseFeature)
      .query(
        async ({ ctx, input }) =>
          (await canUseFeature(ctx.db, {
            feature: input.feature as Feature,
            amount: input.amount,
            userId: actingUser(ctx.auth, input.userId),
            now: ctx.now(),
            tiers: ctx.tiers,
          })) as unknown as CanUseFeatureResultOf<C>,
      ),
    getCurrentUsage: p.read.input(userInput).query(
      async ({ ctx, input }) =>
        (await getCurrentUsage(ctx.db, {
          userId: actingUser(ctx.auth, input.userId),
          now: ctx.now(),
          tiers: ctx.tiers,
        })) as unknown as CurrentUsageOf<C>,
    ),
  });
