import { initTRPC, TRPCError } from "@trpc/server";
import type { Db } from "@usagekit/db";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { resolveAuth } from "./auth";
import type { Auth } from "./auth";
import { env } from "./env";
import { LimitExceededError } from "./errors";
import { defaultTiers } from "./tiers";
import type { Tiers } from "./tiers";

export interface CreateContextOptions {
  db: Db;
  /** The request's Authorization header (`Bearer <USAGE_SERVICE_TOKEN>` for service calls). */
  authorization?: string | null;
  /** The host app's signed-in user, from its own session. */
  userId?: string | null;
  /** Skip header/session resolution, e.g. `{ type: "service" }` for a trusted server-side caller. */
  auth?: Auth;
  tiers?: Tiers;
  /** The service's clock (tests and seeding may fix it). */
  now?: () => Date;
  /** Defaults to env `USAGE_SERVICE_TOKEN`. */
  serviceToken?: string;
}

export function createTRPCContext(opts: CreateContextOptions) {
  return {
    db: opts.db,
    auth:
      opts.auth ??
      resolveAuth({
        authorization: opts.authorization,
        userId: opts.userId,
        serviceToken: opts.serviceToken ?? env.USAGE_SERVICE_TOKEN,
      }),
    tiers: opts.tiers ?? defaultTiers,
    now: opts.now ?? (() => new Date()),
  };
}
export type Context = ReturnType<typeof createTRPCContext>;

/** "seconds: must be >= 0; occurredAt: must be a date" — every issue with the field it names. */
const describeZodError = (error: ZodError) =>
  error.issues.map((i) => `${i.path.length ? i.path.join(".") : "input"}: ${i.message}`).join("; ");

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const zodError = error.cause instanceof ZodError ? error.cause : null;
    return {
      ...shape,
      data: {
        ...shape.data,
        zodError: zodError ? z.flattenError(zodError) : null,
        limitExceeded: error.cause instanceof LimitExceededError ? error.cause.limitExceeded : null,
      },
    };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Input errors read "seconds: must be >= 0" on every path, server-side callers included. */
const baseProcedure = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof ZodError) {
    result.error.message = describeZodError(result.error.cause);
  }
  return result;
});

/** Signed-in user or service; checked before the input is parsed. */
export const authedProcedure = baseProcedure.use(({ ctx, next }) => {
  if (ctx.auth.type === "anonymous") throw new TRPCError({ code: "UNAUTHORIZED" });
  return next();
});

/** Trusted backends only. */
export const serviceProcedure = baseProcedure.use(({ ctx, next }) => {
  if (ctx.auth.type === "anonymous") throw new TRPCError({ code: "UNAUTHORIZED" });
  if (ctx.auth.type !== "service") {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "this procedure is for service callers only",
    });
  }
  return next();
});
