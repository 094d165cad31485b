import "server-only";
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { cache } from "react";
import { env } from "~/env";
import { findDemoUser } from "~/lib/demo-users";
import { now } from "./clock";
import { getDb } from "./db";

export const SESSION_COOKIE = "usagekit_session";
/** A session lasts at most this long (the cookie's max-age and the signed expiry). */
export const SESSION_SECONDS = 60 * 60 * 24 * 30;
const MIN_SECRET_BYTES = 32;

/**
 * SESSION_SECRET, or a random secret generated once and kept in the data folder with owner-only
 * permissions. A secret shorter than 32 bytes is refused, never used.
 */
function loadSecret(): Buffer {
  if (env.SESSION_SECRET) return Buffer.from(env.SESSION_SECRET);
  const file = join(env.DEMO_DATA_DIR, "session-secret");
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch {
    text = randomBytes(MIN_SECRET_BYTES).toString("hex");
    mkdirSync(env.DEMO_DATA_DIR, { recursive: true });
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  }
  if (Buffer.byteLength(text) < MIN_SECRET_BYTES) {
    throw new Error(
      `session secret in ${file} is shorter than ${MIN_SECRET_BYTES} bytes: delete the file to generate a new one`,
    );
  }
  return Buffer.from(text);
}

let secret: Buffer | undefined;
const mac = (payload: string) =>
  createHmac("sha256", (secret ??= loadSecret()))
    .update(payload)
    .digest("base64url");

interface Session {
  /** The demo user. */
  u: string;
  /** This session's id (revoked at sign-out). */
  sid: string;
  /** Issued at and expires at, in seconds since the epoch. */
  iat: number;
  exp: number;
}

/** `payload.signature`: the cookie value of a new session for a demo user. */
export function signSession(userId: string): string {
  const iat = Math.floor(now().getTime() / 1000);
  const session: Session = { u: userId, sid: randomUUID(), iat, exp: iat + SESSION_SECONDS };
  const payload = Buffer.from(JSON.stringify(session)).toString("base64url");
  return `${payload}.${mac(payload)}`;
}

/** The session a cookie value carries when it is well-formed, genuine and not expired; else null. */
function readSession(value: string | null | undefined): Session | null {
  if (!value || value.length > 1024) return null;
  const [payload, signature, extra] = value.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const given = Buffer.from(signature);
  const expected = Buffer.from(mac(payload));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const s = JSON.parse(Buffer.from(payload, "base64url").toString()) as Session;
    const t = now().getTime() / 1000;
    const valid =
      typeof s.u === "string" &&
      typeof s.sid === "string" &&
      Number.isInteger(s.iat) &&
      Number.isInteger(s.exp) &&
      s.iat <= t + env.SESSION_CLOCK_SKEW_SECONDS &&
      t < s.exp &&
      s.exp - s.iat <= SESSION_SECONDS;
    return valid ? s : null;
  } catch {
    return null;
  }
}

/**
 * The demo user a cookie value signs in: null when missing, forged, expired, revoked or unknown.
 * Memoized per server request (a page checks the session for itself and for its tRPC context).
 */
export const verifySession = cache(async (value: string | null | undefined) => {
  const session = readSession(value);
  if (!session || !findDemoUser(session.u)) return null;
  const { db } = await getDb();
  const revoked = await queryRows(
    db,
    sql`SELECT 1 FROM demo_revoked_sessions WHERE sid = ${session.sid}`,
  );
  return revoked.length === 0 ? session.u : null;
});

/** Sign-out: the session stops working everywhere, a copy of its cookie included. */
export async function revokeSession(value: string | null | undefined): Promise<void> {
  const session = readSession(value);
  if (!session) return;
  const { db } = await getDb();
  await db.execute(sql`INSERT INTO demo_revoked_sessions (sid, expires_at)
    VALUES (${session.sid}, to_timestamp(${session.exp})) ON CONFLICT (sid) DO NOTHING`);
}

/**
 * httpOnly and SameSite; Secure whenever the browser reached the demo over https — directly or
 * through a TLS-terminating proxy (`X-Forwarded-Proto`).
 */
export const sessionCookieOptions = (req: Request) => {
  const forwarded = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  return {
    httpOnly: true,
    sameSite: "lax" as const,
    secure: (forwarded ?? new URL(req.url).protocol.replace(":", "")) === "https",
    path: "/",
    maxAge: SESSION_SECONDS,
  };
};

/** The session cookie's value in a Cookie header (a malformed one reads as none). */
export function readSessionCookie(cookieHeader: string | null): string | null {
  for (const part of cookieHeader?.split(";") ?? []) {
    const [name, ...value] = part.trim().split("=");
    if (name !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(value.join("="));
    } catch {
      return null;
    }
  }
  return null;
}
