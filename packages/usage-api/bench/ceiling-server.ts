/**
 * The in-memory ceiling for `pnpm bench`: the same tRPC stack as the standalone server (the
 * standalone adapter, usagekit's transformer, error formatter and input schema, the same limits)
 * whose recordUsage only adds to a Map. What one Node process can answer without a database.
 */
import { createServer } from "node:http";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import {
  MAX_BATCH_CALLS,
  MAX_BODY_BYTES,
  recordUsageInput,
  usageErrorFormatter,
  usageTransformer,
} from "../src";

const t = initTRPC.create({
  transformer: usageTransformer,
  errorFormatter: usageErrorFormatter,
  isDev: false,
});
const totals = new Map<string, number>();
const router = t.router({
  usage: t.router({
    recordUsage: t.procedure.input(recordUsageInput).mutation(({ input }) => {
      const key = input.userId ?? "me";
      totals.set(key, (totals.get(key) ?? 0) + (input.seconds ?? 0));
      return { recorded: true, duplicate: false, total: totals.get(key) };
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
