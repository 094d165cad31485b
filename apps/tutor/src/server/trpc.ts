import "server-only";
import { initTRPC, TRPCError } from "@trpc/server";
import {
  createTRPCContext as createUsageContext,
  usageErrorFormatter,
  usageTransformer,
} from "@usagekit/usage-api";
import { getDb } from "./db";
import { readSession } from "./session";

/** usagekit's context (the host's db and signed-in user), plus the host's own fields. */
export async function createContext(headers: Headers) {
  const db = await getDb();
  const userId = readSession(headers.get("cookie"));
  return { ...createUsageContext({ db, userId }), tutorDb: db, userId };
}

// usagekit's error formatter and transformer, so `limitExceeded` reaches the host's client.
const t = initTRPC.context<Awaited<ReturnType<typeof createContext>>>().create({
  transformer: usageTransformer,
  errorFormatter: usageErrorFormatter,
});

export const router = t.router;
export const signedInProcedure = t.procedure.use(({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, userId: ctx.userId } });
});
