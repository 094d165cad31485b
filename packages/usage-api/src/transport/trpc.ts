import { initTRPC, TRPCError } from "@trpc/server";
import type { Db } from "@usagekit/db";
import superjson from "superjson";
import type { SuperJSONResult } from "superjson";
import { z, ZodError } from "zod";
import { resolveAuth } from "./auth";
import type { Auth } from "./auth";
import { describeZodError, IdempotencyConflictError, LimitExceededError } from "../errors";
import type { LimitExceeded } from "../errors";
import { consoleErrorLogger, InternalError, maskError } from "./masking";
import type { ErrorLogger } from "./masking";
import { findUnsafeKey } from "./input-guard";
import { assertUserId } from "../schemas";
import type { CatalogShape } from "@usagekit/db/catalog";
import { defineTiers, tiersOf } from "../limits/tiers";
import type { Tiers } from "../limits/tiers";
import type { Model } from "../catalog/model";

export interface CreateContextOptions {
  db: Db;
  /** A streaming replica of `db` for reads that may lag (`createDb({ readUrl })`'s `readDb`). */
  readDb?: Db;
  /**
   * A service-token attempt (`Bearer <token>`), only when the host passes one; a host whose own
   * sessions travel as bearer tokens resolves them itself and passes `userId`.
   */
  authorization?: string | null;
  /** The host app's signed-in user, from its own session (validated: 1–128 characters). */
  userId?: string | null;
  /** Skip header/session resolution: `{ type: "service" }`, `{ type: "analyst" }`, … */
  auth?: Auth;
  /**
   * The host's catalog (`defineCatalog`): what is metered and sold. Default: the router's (a
   * router made by `createUsageRouter(catalog)`), else usagekit's language-learning catalog.
   */
  catalog?: CatalogShape;
  /** Other limits for the catalog's tiers; validated by `defineTiers` for the catalog. */
  tiers?: Tiers;
  /** The service's clock (tests and seeding may fix it). */
  now?: () => Date;
  /** The configured service token (the entry point reads it from its env). */
  serviceToken?: string;
  /** Where unexpected errors are logged with their `errorId` (default: a JSON line on stderr). */
  logError?: ErrorLogger;
}

export function createTRPCContext(opts: CreateContextOptions) {
  if (opts.userId !== undefined && opts.userId !== null) assertUserId(opts.userId);
  if (opts.auth?.type === "user") assertUserId(opts.auth.userId);
  return {
    db: opts.db,
    readDb: opts.readDb,
    auth:
      opts.auth ??
      resolveAuth({
        authorization: opts.authorization,
        userId: opts.userId,
        serviceToken: opts.serviceToken,
      }),
    /** Unset: the router's catalog decides (`withCatalog`). */
    tiers: opts.tiers
      ? defineTiers(opts.tiers, opts.catalog)
      : opts.catalog
        ? tiersOf(opts.catalog)
        : undefined,
    now: opts.now ?? (() => new Date()),
    logError: opts.logError ?? consoleErrorLogger,
  };
}
export type Context = ReturnType<typeof createTRPCContext>;

/**
 * The error data of every usagekit procedure (see the contract's "Errors"): `zodError`,
 * `limitExceeded`, `idempotencyKey` and, for an internal error, only its `errorId` — never SQL,
 * parameters or a stack. A host that mounts `usageRouter` in its own router uses this formatter
 * so that its client keeps these fields.
 */
export function usageErrorFormatter<TShape extends { message: string; data: object }>(opts: {
  shape: TShape;
  error: TRPCError;
  ctx?: unknown;
  path?: string;
}) {
  const { shape, error } = opts;
  const internal = error.code === "INTERNAL_SERVER_ERROR";
  // Procedures mask their own errors (baseProcedure); one raised outside them (creating the
  // context, reading the body) is masked and logged here, so it too has an errorId.
  const logError = (opts.ctx as Partial<Context> | undefined)?.logError ?? consoleErrorLogger;
  const cause = internal ? maskError(error, logError, opts.path).cause : error.cause;
  const errorId = cause instanceof InternalError ? cause.errorId : null;
  const { stack: _stack, ...data } = shape.data as TShape["data"] & { stack?: string };
  return {
    ...shape,
    message: internal
      ? `internal server error${errorId ? ` (errorId ${errorId})` : ""}`
      : shape.message,
    // Each field only where it applies: a refusal carries `limitExceeded`, nothing else does.
    data: {
      ...data,
      ...(error.cause instanceof ZodError ? { zodError: z.flattenError(error.cause) } : {}),
      ...(error.cause instanceof LimitExceededError
        ? { limitExceeded: error.cause.limitExceeded }
        : {}),
      ...(error.cause instanceof IdempotencyConflictError
        ? { idempotencyKey: error.cause.idempotencyKey }
        : {}),
      ...(errorId ? { errorId } : {}),
    } as typeof data & {
      zodError?: ReturnType<typeof z.flattenError>;
      limitExceeded?: LimitExceeded;
      idempotencyKey?: string;
      errorId?: string;
    },
  };
}

/**
 * superjson, with the raw input checked first: superjson drops a `__proto__` key silently (and a
 * schema never sees it), so it is refused here, before deserializing; a payload superjson cannot
 * read is a BAD_REQUEST, not a 500. Runs when a procedure reads its input, after authorization.
 * A host that mounts `usageRouter` uses it too (its clients keep plain `superjson`).
 */
const plainSuperjson = {
  serialize: (value: unknown) => superjson.serialize(value),
  deserialize: (payload: unknown) => superjson.deserialize(payload as SuperJSONResult),
};

export const usageTransformer = {
  input: {
    serialize: plainSuperjson.serialize,
    deserialize: (payload: unknown) => {
      const unsafe = findUnsafeKey(payload);
      if (unsafe) {
        throw new TRPCError({ code: "BAD_REQUEST", message: unsafe.replace(/^json\.?/, "") });
      }
      try {
        return plainSuperjson.deserialize(payload);
      } catch {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: "input: not a valid superjson payload",
        });
      }
    },
  },
  // Spelled out rather than `superjson` itself, so the bundled type declarations name no default
  // import (tsup's declaration bundler fails on it).
  output: plainSuperjson,
};

const t = initTRPC.context<Context>().create({
  transformer: usageTransformer,
  // Never a stack in a response, whatever NODE_ENV says; details go to the log.
  isDev: false,
  errorFormatter: usageErrorFormatter,
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;
export const middleware = t.middleware;

/**
 * Every procedure: input errors read "seconds: must be >= 0" on every path, and anything
 * unexpected becomes a masked INTERNAL_SERVER_ERROR whose details are logged with its errorId.
 */
const baseProcedure = t.procedure.use(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  if (result.error.cause instanceof ZodError) {
    result.error.message = describeZodError(result.error.cause);
    return result;
  }
  const masked = maskError(result.error, ctx.logError, path);
  return masked === result.error ? result : { ...result, error: masked };
});

/** Refuses raw input that carries keys a schema cannot see (`__proto__`) or nests too deep. */
const guardInput = t.middleware(async ({ getRawInput, next }) => {
  const unsafe = findUnsafeKey(await getRawInput());
  if (unsafe) throw new TRPCError({ code: "BAD_REQUEST", message: unsafe });
  return next();
});

const allow = (...types: Auth["type"][]) =>
  t.middleware(({ ctx, next }) => {
    if (ctx.auth.type === "anonymous") throw new TRPCError({ code: "UNAUTHORIZED" });
    if (!types.includes(ctx.auth.type)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `this procedure is not allowed for ${ctx.auth.type} callers`,
      });
    }
    return next();
  });

/**
 * The catalog a call runs with: the context's (`createTRPCContext({ db, catalog })`), else the
 * router's (`createUsageRouter(catalog)`; usagekit's own router: the default catalog).
 */
const withCatalog = (model: Model) =>
  t.middleware(({ ctx, next }) => next({ ctx: { tiers: ctx.tiers ?? tiersOf(model.catalog) } }));

/** The procedures of a router for one catalog: who may call them, and its catalog. */
export const proceduresFor = (model: Model) => {
  const base = baseProcedure.use(withCatalog(model));
  return {
    /** Reads of one user: the user itself, an analyst or a service. Authorization before input. */
    read: base.use(allow("user", "analyst", "service")).use(guardInput),
    /** Writes an end user may make for itself (always enforced), or a service for anyone. */
    write: base.use(allow("user", "service")).use(guardInput),
    /** Cross-user reports: the app owner's analysts and services. */
    analytics: base.use(allow("analyst", "service")).use(guardInput),
    /** Trusted backends only. */
    service: base.use(allow("service")).use(guardInput),
  };
};
export type Procedures = ReturnType<typeof proceduresFor>;
