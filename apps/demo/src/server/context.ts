import "server-only";
import { createCaller, createTRPCContext } from "@usagekit/usage-api";
import { env } from "~/env";
import { getDb } from "./db";
import { readSessionCookie, verifySession } from "./session";

/** The tRPC context of a request: service by bearer token, or the signed-in demo user. */
export async function createContext(headers: Headers) {
  const { db } = await getDb();
  return createTRPCContext({
    db,
    authorization: headers.get("authorization"),
    userId: verifySession(readSessionCookie(headers.get("cookie"))),
    serviceToken: env.USAGE_SERVICE_TOKEN,
  });
}

/** A trusted server-side caller, as a backend (voice server, billing) would use. */
export async function serviceCaller() {
  const { db } = await getDb();
  return createCaller(createTRPCContext({ db, auth: { type: "service" } }));
}
