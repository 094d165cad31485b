import "server-only";
import { createCaller, createTRPCContext } from "@usagekit/usage-api";
import { env } from "~/env";
import { findDemoUser } from "~/lib/demo-users";
import { getDb } from "./db";
import { readSessionCookie, verifySession } from "./session";

/**
 * The tRPC context of a request: service by bearer token, or the signed-in demo user — whose
 * requests carry the service role when that user is the demo's admin (the app owner).
 */
export async function createContext(headers: Headers) {
  const { db } = await getDb();
  const userId = verifySession(readSessionCookie(headers.get("cookie")));
  const admin = !headers.get("authorization") && findDemoUser(userId)?.role === "admin";
  return createTRPCContext({
    db,
    authorization: headers.get("authorization"),
    userId,
    serviceToken: env.USAGE_SERVICE_TOKEN,
    ...(admin ? { auth: { type: "service" as const } } : {}),
  });
}

/** A trusted server-side caller, as a backend (voice server, billing) would use. */
export async function serviceCaller() {
  const { db } = await getDb();
  return createCaller(createTRPCContext({ db, auth: { type: "service" } }));
}
