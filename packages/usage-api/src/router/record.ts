import { TRPCError } from "@trpc/server";
import { recordUsageBatch } from "../record/batch";
import { recordUsage } from "../record/record-usage";
import { recordUsageBatchInput, recordUsageInput } from "../schemas";
import { actingUser } from "../transport/auth";
import { createTRPCRouter, serviceProcedure, writeProcedure } from "../transport/trpc";
import type { Context } from "../transport/trpc";

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
export const recordRouter = createTRPCRouter({
  recordUsage: writeProcedure
    .input(recordUsageInput)
    .mutation(({ ctx, input: { userId, ...event } }) => {
      endUserRules(ctx, event);
      return recordUsage(ctx.db, {
        ...event,
        enforceLimits: ctx.auth.type === "user" ? true : event.enforceLimits,
        userId: actingUser(ctx.auth, userId),
        now: ctx.now(),
        tiers: ctx.tiers,
      });
    }),
  recordUsageBatch: serviceProcedure
    .input(recordUsageBatchInput)
    .mutation(({ ctx, input }) =>
      recordUsageBatch(ctx.db, { events: input.events, now: ctx.now(), tiers: ctx.tiers }),
    ),
});
