import { TRPCError } from "@trpc/server";
import type { CatalogShape } from "@usagekit/db/catalog";
import { recordUsageBatch } from "../record/batch";
import { correctUsage } from "../record/correct";
import { recordUsage } from "../record/record-usage";
import { recordUsageBatchInput } from "../schemas";
import type { RecordUsageInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { catalogInput, catalogWrite } from "../transport/catalog-input";
import type { CatalogInputTypes } from "../transport/catalog-input";
import { createTRPCRouter } from "../transport/trpc";
import type { Context, Procedures } from "../transport/trpc";
import type { MonthlyUsageOf, RecordUsageResultOf } from "./outputs";

/** An end user's writes are always enforced, at the server's time. */
function endUserRules(ctx: Context, input: { enforceLimits?: boolean; occurredAt?: Date }) {
  if (ctx.auth.type !== "user") return;
  if (input.enforceLimits === false || input.occurredAt !== undefined) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "end users may not set enforceLimits: false or occurredAt",
    });
  }
}

/** Writing usage: one event, or a batch. */
export const recordRouter = <C extends CatalogShape>(p: Procedures, types: CatalogInputTypes<C>) =>
  createTRPCRouter({
    recordUsage: p.write
      .use(catalogInput("recordUsageInput"))
      .input(types.recordUsage)
      .mutation(async ({ ctx, input }) => {
        // Parsed with the call's catalog (catalogInput); typed here with the default one's names.
        const { userId, ...event } = input as RecordUsageInput;
        endUserRules(ctx, event);
        const result = await recordUsage(ctx.db, {
          ...event,
          enforceLimits: ctx.auth.type === "user" ? true : event.enforceLimits,
          userId: actingUser(ctx.auth, userId),
          now: ctx.now(),
          tiers: ctx.tiers,
        });
        return result as unknown as RecordUsageResultOf<C>;
      }),
    /** Takes back usage recorded under `correctsKey`: a negative ledger entry with its reason. */
    correctUsage: catalogWrite(
      p.service,
      "correctUsageInput",
      types.correctUsage,
      async (db, params) => (await correctUsage(db, params)) as unknown as MonthlyUsageOf<C>,
    ),
    recordUsageBatch: p.service
      .input(recordUsageBatchInput)
      .mutation(({ ctx, input }) =>
        recordUsageBatch(ctx.db, { events: input.events, now: ctx.now(), tiers: ctx.tiers }),
      ),
  });
