import "server-only";
import { createCaller, createTRPCContext } from "@usagekit/usage-api";
import { env } from "~/env";
import { findDemoUser } from "~/lib/demo-users";
import { now } from "./clock";
import { getDb } from "./db";
import { readSessionCookie, verifySession } from "./session";

/**
 * The tRPC context of a request: a service by bearer token, or the signed-in demo user — an
 * analyst when that user is the app owner (reads and analytics, no writes).
 */
export async function createContext(headers: Headers) {
  const { db } = await getDb();
  const authorization = headers.get("authorization");
  const userId = authorization
    ? null
    : await verifySession(readSessionCookie(headers.get("cookie")));
  const owner = findDemoUser(userId)?.role === "admin";
  return createTRPCContext({
    db,
    authorization,
    userId: owner ? null : userId,
    serviceToken: env.USAGE_SERVICE_TOKEN,
    now,
    ...(owner ? { auth: { type: "analyst" as const } } : {}),
  });
}

/** A trusted server-side caller, as a backend (voice server, billing) would use. */
export async function serviceCaller() {
  const { db } = await getDb();
  return createCaller(createTRPCContext({ db, auth: { type: "service" }, now }));
}
