import "server-only";
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { LimitExceededError } from "@usagekit/usage-api";
import type { LimitExceeded } from "@usagekit/usage-api";
import { z } from "zod";

export type ActionResult =
  | { ok: true; message: string }
  | { ok: false; message: string; limitExceeded: LimitExceeded | null };

/**
 * What the browser may see of a failure: a limit (with its data), or a plain sentence. Internal
 * details never leave the server; they are logged with an id the message names.
 */
export const failure = (error: unknown): ActionResult => {
  if (error instanceof z.ZodError) {
    return { ok: false, message: "That request was not valid.", limitExceeded: null };
  }
  if (error instanceof TRPCError && error.cause instanceof LimitExceededError) {
    return { ok: false, message: error.message, limitExceeded: error.cause.limitExceeded };
  }
  if (error instanceof TRPCError && error.code === "BAD_REQUEST") {
    return { ok: false, message: "That request was not valid.", limitExceeded: null };
  }
  const errorId = randomUUID();
  console.error(
    JSON.stringify({ level: "error", msg: "demo action failed", errorId, error: String(error) }),
  );
  return { ok: false, message: `Something went wrong (error ${errorId}).`, limitExceeded: null };
};
