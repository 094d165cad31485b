import "server-only";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { env } from "~/env";

// The host's own auth, kept tiny: a signed cookie carrying the user's id. usagekit only ever
// sees the id the host resolved from it.
export const SESSION_COOKIE = "tutor_session";

const globalForSecret = globalThis as unknown as { tutorSecret?: string };
const secret = () =>
  (globalForSecret.tutorSecret ??= env.TUTOR_SESSION_SECRET ?? randomBytes(32).toString("hex"));
const mac = (payload: string) => createHmac("sha256", secret()).update(payload).digest("base64url");

export const signSession = (userId: string) => {
  const payload = Buffer.from(userId).toString("base64url");
  return `${payload}.${mac(payload)}`;
};

/** The signed-in user's id, or null for a missing or forged cookie. */
export function readSession(cookieHeader: string | null): string | null {
  const value = cookieHeader
    ?.split(/;\s*/)
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  const [payload, signature] = value?.split(".") ?? [];
  if (!payload || !signature) return null;
  const expected = Buffer.from(mac(payload));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return Buffer.from(payload, "base64url").toString();
}
