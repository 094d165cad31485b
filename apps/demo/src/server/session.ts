import "server-only";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { env } from "~/env";
import { findDemoUser } from "~/lib/demo-users";

export const SESSION_COOKIE = "usagekit_session";

/** SESSION_SECRET, or a random secret kept in the data folder (so sessions survive restarts). */
function loadSecret(): string {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  const file = join(env.DEMO_DATA_DIR, "session-secret");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    const secret = randomBytes(32).toString("hex");
    mkdirSync(env.DEMO_DATA_DIR, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

let secret: string | undefined;
const mac = (userId: string) =>
  createHmac("sha256", (secret ??= loadSecret()))
    .update(userId)
    .digest("base64url");

/** `userId.signature`: the cookie value for a signed-in demo user. */
export const signSession = (userId: string) => `${userId}.${mac(userId)}`;

/** The demo user a cookie value signs in, or null when it is missing, forged or unknown. */
export function verifySession(value: string | undefined | null): string | null {
  if (!value) return null;
  const dot = value.lastIndexOf(".");
  const userId = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1));
  const expected = Buffer.from(mac(userId));
  if (dot < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return findDemoUser(userId) ? userId : null;
}

/** httpOnly and SameSite; Secure whenever the demo is served over https. */
export const sessionCookieOptions = (requestUrl: string) => ({
  httpOnly: true,
  sameSite: "lax" as const,
  secure: new URL(requestUrl).protocol === "https:",
  path: "/",
  maxAge: 60 * 60 * 24 * 30,
});

/** The session cookie's value in a Cookie header. */
export function readSessionCookie(cookieHeader: string | null): string | null {
  for (const part of cookieHeader?.split(";") ?? []) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return decodeURIComponent(value.join("="));
  }
  return null;
}
