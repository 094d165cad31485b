import { createServer } from "node:http";
import type { Server } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Db } from "@usagekit/db";
import { appRouter } from "./router";
import { createTRPCContext } from "./trpc";
import type { Tiers } from "./tiers";

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerOptions {
  db: Db;
  tiers?: Tiers;
  serviceToken?: string;
}

/**
 * The app router at `/api/trpc` for backends that are not Next.js: service-token auth only, and
 * bodies over 1 MB refused with 413 before they are parsed.
 */
export function createUsageServer(options: ServerOptions): Server {
  const handler = createHTTPHandler({
    basePath: "/api/trpc/",
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req }) =>
      createTRPCContext({
        db: options.db,
        tiers: options.tiers,
        serviceToken: options.serviceToken,
        authorization: req.headers.authorization ?? null,
      }),
  });
  // Refuse by Content-Length before the adapter reads anything; maxBodySize catches chunked bodies.
  return createServer((req, res) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      res.writeHead(413, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: "body over 1 MB" } }));
      return;
    }
    void handler(req, res);
  });
}
