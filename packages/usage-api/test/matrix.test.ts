import type { Server } from "node:http";
import { createServer } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { DbHandle } from "@usagekit/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createTRPCContext } from "../src";
import { callers, runMatrix } from "./auth-matrix";
import type { Caller } from "./auth-matrix";
import { callerFor, dbKinds, listen, openTestDb, useServer } from "./db";
import type { DbKind } from "./db";
import { rowCounts } from "./helpers";

const TOKEN = "matrix-service-token-0123456789";
const bearer = { authorization: `Bearer ${TOKEN}` };
const wrongToken = { authorization: "Bearer not-the-token-not-the-token" };

// The standalone server is service-token auth only: a session cookie identifies nobody there.
describe.each(dbKinds)("authorization matrix of the standalone server on %s", (kind) => {
  const suite = useServer(kind, { serviceToken: TOKEN });

  it("answers every procedure × caller as the contract says, and writes only when allowed", async () => {
    const headers: Partial<Record<Caller, Record<string, string>>> = {
      anonymous: {},
      service: bearer,
      wrongToken,
      badCookie: { cookie: "usagekit_session=forged.value" },
    };
    const cells = await runMatrix({
      base: suite.url,
      callers: ["anonymous", "service", "wrongToken", "badCookie"],
      headersFor: (c) => headers[c]!,
      userFor: () => "matrix-user",
      rowCounts: () => rowCounts(suite.handle.db),
    });
    expect(cells).toBe(4 * 23); // 23 procedures × 4 callers
  });
});

/**
 * The router as a host mounts it: the same app router over HTTP, whose context is a service by
 * token, or the host's signed-in user by session cookie — an analyst for the app owner's session.
 * (Sessions here are plain ids in a table; the demo's suite runs the matrix on signed cookies.)
 */
function useHostServer(kind: DbKind) {
  const sessions: Record<string, { userId: string } | { analyst: true }> = {
    "session-self": { userId: "matrix-self" },
    "session-owner": { analyst: true },
  };
  const suite = {} as { handle: DbHandle; server: Server; url: string };
  beforeAll(async () => {
    suite.handle = await openTestDb(kind);
    const handler = createHTTPHandler({
      basePath: "/api/trpc/",
      router: appRouter,
      createContext: ({ req }) => {
        const authorization = req.headers.authorization ?? null;
        const session = authorization
          ? undefined
          : sessions[/session=([^;]*)/.exec(req.headers.cookie ?? "")?.[1] ?? ""];
        return createTRPCContext({
          db: suite.handle.db,
          authorization,
          serviceToken: TOKEN,
          logError: () => {},
          ...(session && "analyst" in session
            ? { auth: { type: "analyst" as const } }
            : { userId: session?.userId ?? null }),
        });
      },
    });
    suite.server = createServer((req, res) => void handler(req, res));
    suite.url = `${await listen(suite.server)}/api/trpc`;
  });
  afterAll(async () => {
    suite.server.closeAllConnections();
    await new Promise((resolve) => suite.server.close(resolve));
    await suite.handle.close();
  });
  return suite;
}

describe.each(dbKinds)("authorization matrix of the router in a host on %s", (kind) => {
  const suite = useHostServer(kind);

  it("answers every procedure × caller as the contract says; reads equal the service's, writes show, refusals write nothing", async () => {
    // Data to read: the other user has months of usage and a bill (its reads are compared with
    // the service's, so an empty answer would prove nothing); self's own write gives it a month.
    const api = callerFor(suite.handle);
    const now = new Date();
    const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15, 12));
    for (const [userId, seconds] of [
      ["matrix-other", 600],
      ["matrix-busy", 40_000],
    ] as const) {
      await api.usage.setUserPlan({ userId, tier: "plus", timezone: "Europe/Berlin" });
      await api.usage.recordUsage({ userId, conversations: 3, seconds, occurredAt: lastMonth });
      await api.usage.recordUsage({ userId, conversations: 2, completedSessions: 1, seconds: 300 });
      await api.usage.recordPayment({
        userId,
        tier: "plus",
        amount: "9.99",
        paidAt: lastMonth,
        idempotencyKey: `${userId}-pay`,
      });
    }
    const headers: Record<Caller, Record<string, string>> = {
      anonymous: {},
      self: { cookie: "session=session-self" },
      other: { cookie: "session=session-self" },
      analyst: { cookie: "session=session-owner" },
      service: bearer,
      wrongToken,
      badCookie: { cookie: "session=session-forged" },
    };
    const user: Record<Caller, string | undefined> = {
      anonymous: "matrix-self",
      self: undefined, // "me"
      other: "matrix-other",
      analyst: "matrix-other",
      service: "matrix-self",
      wrongToken: "matrix-self",
      badCookie: undefined,
    };
    const cells = await runMatrix({
      base: suite.url,
      callers,
      headersFor: (c) => headers[c],
      userFor: (c) => user[c],
      selfUser: "matrix-self",
      rowCounts: () => rowCounts(suite.handle.db),
    });
    expect(cells).toBe(7 * 23); // 23 procedures × 7 callers
  });
});
