import { createHash, timingSafeEqual } from "node:crypto";
import { TRPCError } from "@trpc/server";

export type Auth = { type: "service" } | { type: "user"; userId: string } | { type: "anonymous" };

export const MIN_SERVICE_TOKEN_LENGTH = 16;

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Compares in constant time; a missing or short configured token never matches. */
export function isServiceToken(presented: string, configured: string | undefined): boolean {
  if (!configured || configured.length < MIN_SERVICE_TOKEN_LENGTH) return false;
  return timingSafeEqual(digest(presented), digest(configured));
}

/**
 * Who is calling: a bearer token decides for itself (service when it matches, nobody when it does
 * not); otherwise the host app's signed-in user, if any.
 */
export function resolveAuth(opts: {
  authorization?: string | null;
  userId?: string | null;
  serviceToken?: string;
}): Auth {
  const bearer = opts.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  if (opts.authorization) {
    return bearer && isServiceToken(bearer, opts.serviceToken)
      ? { type: "service" }
      : { type: "anonymous" };
  }
  return opts.userId ? { type: "user", userId: opts.userId } : { type: "anonymous" };
}

/**
 * The user a call acts for: a service must name one; an end user may only name itself
 * (omitted means "me").
 */
export function actingUser(auth: Auth, userId: string | undefined): string {
  if (auth.type === "service") {
    if (!userId)
      throw new TRPCError({ code: "BAD_REQUEST", message: "userId is required for service calls" });
    return userId;
  }
  if (auth.type === "user") {
    if (userId && userId !== auth.userId) {
      throw new TRPCError({ code: "FORBIDDEN", message: "you may only act for your own user" });
    }
    return auth.userId;
  }
  throw new TRPCError({ code: "UNAUTHORIZED" });
}
