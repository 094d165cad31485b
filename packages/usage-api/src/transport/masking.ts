import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";

/**
 * The cause of a masked INTERNAL_SERVER_ERROR: the caller sees only `errorId` and a generic
 * message; the original error is logged with the same id.
 */
export class InternalError extends Error {
  readonly errorId = randomUUID();
  constructor() {
    super("internal server error");
    this.name = "InternalError";
  }
}

/** Where unexpected errors are written (one JSON line each); a host may pass its own. */
export type ErrorLogger = (entry: { errorId: string; path?: string; error: unknown }) => void;

const clip = (s: string | undefined, n: number) => (s && s.length > n ? `${s.slice(0, n)}…` : s);

type DbErrorFields = {
  code?: string;
  detail?: string;
  hint?: string;
  constraint_name?: string;
  constraint?: string;
  table_name?: string;
  column_name?: string;
  severity?: string;
};

/**
 * What the database (or the driver) said, from the first error of the cause chain that carries
 * an SQLSTATE or a driver code: message, code, detail, constraint — what an operator needs to
 * tell why a call failed.
 */
export function databaseCause(error: unknown) {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const f = e as Error & DbErrorFields;
    if (typeof f.code === "string" && !(e instanceof TRPCError)) {
      return {
        message: clip(f.message, 1000),
        code: f.code,
        detail: clip(f.detail, 500),
        hint: clip(f.hint, 300),
        constraint: f.constraint_name ?? f.constraint,
        table: f.table_name,
        column: f.column_name,
        severity: f.severity,
      };
    }
  }
  return undefined;
}

export const consoleErrorLogger: ErrorLogger = ({ errorId, path, error }) => {
  const e = error instanceof Error ? error : new Error(String(error));
  const cause = (e as { cause?: unknown }).cause;
  console.error(
    JSON.stringify({
      level: "error",
      msg: "usagekit: internal error",
      errorId,
      path,
      error: clip(e.message, 2000),
      cause: cause instanceof Error ? clip(cause.message, 1000) : undefined,
      database: databaseCause(e),
      stack: clip(e.stack?.split("\n").slice(1, 8).join("\n"), 1500),
    }),
  );
};

/**
 * A TRPCError that says nothing about `error` but its `errorId` (logged with the details),
 * unless it already is a deliberate, non-internal TRPCError.
 */
export function maskError(error: unknown, log: ErrorLogger, path?: string): TRPCError {
  if (error instanceof TRPCError && error.code !== "INTERNAL_SERVER_ERROR") return error;
  if (error instanceof TRPCError && error.cause instanceof InternalError) return error;
  const cause = new InternalError();
  log({ errorId: cause.errorId, path, error });
  return new TRPCError({
    code: "INTERNAL_SERVER_ERROR",
    message: `internal server error (errorId ${cause.errorId})`,
    cause,
  });
}
