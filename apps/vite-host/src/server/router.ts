import { initTRPC } from "@trpc/server";
import {
  createTRPCContext,
  createUsageRouter,
  usageErrorFormatter,
  usageTransformer,
} from "@usagekit/usage-api";
import type { CreateContextOptions } from "@usagekit/usage-api";
import { catalog } from "../catalog.js";

/** usagekit's context — the database and the signed-in user — plus the host's own fields. */
export const createContext = (options: CreateContextOptions) => ({
  ...createTRPCContext(options),
  userId: options.userId ?? null,
});

// usagekit's transformer and error formatter, so `limitExceeded` reaches the client typed.
const t = initTRPC.context<ReturnType<typeof createContext>>().create({
  transformer: usageTransformer,
  errorFormatter: usageErrorFormatter,
});

/** The host's router: its own procedures, and usagekit's (for the app's catalog) under `usage`. */
export const appRouter = t.router({
  me: t.procedure.query(({ ctx }) => ctx.userId),
  usage: createUsageRouter(catalog),
});
export type AppRouter = typeof appRouter;
