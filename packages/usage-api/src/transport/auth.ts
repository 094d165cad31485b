import { createHash, timingSafeEqual } from "node:crypto";
import { TRPCError } from "@trpc/server";

/**
 * Who is calling. `service`: a trusted backend (any user, every procedure). `analyst`: the app
 * owner's dashboards (reads of any user and analytics; no writes). `user`: an end user of the
 * host app (only itself). `anonymous`: nobody.
 */
export type Auth =
  | { type: "service" }
  | { type: "analyst" }
  | { type: "user"; userId: string }
  | { type: "anonymous" };

export const MIN_SERVICE_TOKEN_LENGTH = 16;

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time; a missing or short configured token never matches. */
export function isServiceToken(presented: string, configured: string | undefined): boolean {
  if (!configured || configured.length < MIN_SERVICE_TOKEN_LENGTH) return false;
  return timingSafeEqual(digest(presented), digest(configured));
}

/**
 * Who is calling: an Authorization value, when the host passes one, is a service-token attempt
 * (service when it matches, nobody when it does not); otherwise the host app's signed-in user.
 */
export function resolveAuth(opts: {
  authorization?: string | null;
  userId?: string | null;
  serviceToken?: string;
}): Auth {
  if (opts.authorization) {
    const bearer = /^Bearer\s+(.+)$/i.exec(opts.authorization)?.[1];
    return bearer && isServiceToken(bearer, opts.serviceToken)
      ? { type: "service" }
      : { type: "anonymous" };
  }
  return opts.userId ? { type: "user", userId: opts.userId } : { type: "anonymous" };
}

/**
 * The user a call acts for: a service or an analyst must name one; an end user may only name
 * itself (omitted means "me").
 */
export function actingUser(auth: Auth, userId: string | undefined): string {
  if (auth.type === "user") {
    if (userId !== undefined && userId !== auth.userId) {
      throw new TRPCError({ code: "FORBIDDEN", message: "you may only act for your own user" });
    }
    return auth.userId;
  }
  if (auth.type === "anonymous") throw new TRPCError({ code: "UNAUTHORIZED" });
  if (!userId) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `userId: is required for ${auth.type} calls`,
    });
  }
  return userId;
}
