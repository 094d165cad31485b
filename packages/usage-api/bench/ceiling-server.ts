/**
 * The in-memory ceiling for `pnpm bench`: the same tRPC stack as the standalone server (the
 * standalone adapter, usagekit's transformer, error formatter and input schemas, the same limits)
 * answering the same shapes — `recordUsage` adds the event to the user's month row kept in a Map
 * and returns it with its period, `canUseFeature` reads it — without a database. What one Node
 * process can answer when storage costs nothing.
 */
import { createServer } from "node:http";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import {
  canUseFeatureInput,
  features,
  MAX_BATCH_CALLS,
  MAX_BODY_BYTES,
  monthlyField,
  recordUsageInput,
  usageErrorFormatter,
  usageTransformer,
} from "../src";
import type { MonthlyUsage } from "../src";
import { defaultTiers } from "../src";
import { columnsOf } from "../src/store/columns";

const { emptyMonthly } = columnsOf(defaultTiers);

const t = initTRPC.create({
  transformer: usageTransformer,
  errorFormatter: usageErrorFormatter,
  isDev: false,
});
const [periodStart, periodEnd] = [
  new Date("2026-11-01T00:00:00Z"),
  new Date("2026-12-01T00:00:00Z"),
];
const months = new Map<string, MonthlyUsage>();
const monthOf = (userId = "me") => {
  let row = months.get(userId);
  if (!row) months.set(userId, (row = emptyMonthly("2026-11", periodStart, periodEnd, "plus")));
  return row;
};
const router = t.router({
  usage: t.router({
    recordUsage: t.procedure.input(recordUsageInput).mutation(({ input }) => {
      const usage = monthOf(input.userId);
      for (const f of features) (usage[monthlyField[f]] as number) += input[f] ?? 0;
      if (input.conversations) usage.lastConversationAt = new Date();
      return {
        recorded: true,
        duplicate: false,
        period: { start: periodStart, end: periodEnd },
        usage,
      };
    }),
    canUseFeature: t.procedure.input(canUseFeatureInput).query(({ input }) => {
      const used = monthOf(input.userId)[monthlyField[input.feature]] as number;
      const limit = 50;
      return {
        allowed: used + input.amount <= limit,
        feature: input.feature,
        tier: "plus",
        used,
        limit,
        remaining: Math.max(0, limit - used),
        overage: false,
        resetsAt: periodEnd,
      };
    }),
  }),
});
const port = Number(process.argv[2]);
createServer(
  createHTTPHandler({
    basePath: "/api/trpc/",
    router,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_CALLS,
  }),
).listen(port, "127.0.0.1", () => console.log(`ceiling on ${port}`));
