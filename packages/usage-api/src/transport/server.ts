import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { ErrorLogger } from "./masking";
import { MAX_BATCH_CALLS, MAX_BODY_BYTES, MAX_DRAIN_BYTES } from "./http-limits";
import { appRouter } from "../router/root";
import { createTRPCContext } from "./trpc";
import type { Tiers } from "../limits/tiers";

export { MAX_BATCH_CALLS, MAX_BODY_BYTES };

export interface ServerOptions {
  /** The database, or the promise of it while it opens (meanwhile every request answers 503). */
  db: Db | Promise<Db>;
  /** A streaming replica for the analytics (`DATABASE_READ_URL`); they fall back to `db`. */
  readDb?: Db | Promise<Db | undefined>;
  tiers?: Tiers;
  serviceToken?: string;
  logError?: ErrorLogger;
  /** The whole request (headers and body) must arrive within this (default 10 s), else 408. */
  requestTimeoutMs?: number;
  /** The headers must arrive within this (default 5 s). */
  headersTimeoutMs?: number;
  /** An idle keep-alive socket is closed after this (default 5 s). */
  keepAliveTimeoutMs?: number;
  /** How long /healthz waits for the database (default 1 s). */
  healthTimeoutMs?: number;
}

const json = (res: ServerResponse, status: number, body: unknown, close = false) => {
  res.writeHead(status, {
    "content-type": "application/json",
    ...(close ? { connection: "close" } : {}),
  });
  res.end(JSON.stringify(body));
};

/**
 * Answers 413 once the client has sent its body (read and dropped, up to 32 MB), so that ordinary
 * clients — Node's fetch, curl — read the answer instead of a reset connection.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse) {
  let drained = 0;
  const answer = () =>
    json(res, 413, { error: { code: "PAYLOAD_TOO_LARGE", message: "body over 1 MB" } }, true);
  req.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.destroy();
  });
  req.on("end", answer);
  req.on("error", () => res.destroy());
}

/** The answer to a call while the database is still being opened. */
const UNAVAILABLE = {
  error: { code: "SERVICE_UNAVAILABLE", message: "the database is not open yet; retry shortly" },
};

/** 200 when the database answers within `timeoutMs`, 503 when it does not. */
async function health(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  try {
    return await Promise.race([db.execute(sql`SELECT 1`).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The app router at `/api/trpc` for backends that are not Next.js: service-token auth only,
 * bodies over 1 MB refused with 413 before they are parsed, batches capped at 50 calls, slow or
 * idle sockets closed by timeouts, and `GET /healthz` (200 when the database answers, else 503).
 * Given the promise of a database, it answers 503 to everything until the database is open.
 */
export function createUsageServer(options: ServerOptions): Server {
  let db: Db | null = options.db instanceof Promise ? null : options.db;
  let readDb: Db | undefined = options.readDb instanceof Promise ? undefined : options.readDb;
  if (options.readDb instanceof Promise)
    options.readDb.then(
      (d) => (readDb = d),
      () => {},
    );
  if (options.db instanceof Promise)
    options.db.then(
      (d) => (db = d),
      () => {},
    );
  const handler = createHTTPHandler({
    basePath: "/api/trpc/",
    router: appRouter,
    maxBodySize: MAX_BODY_BYTES,
    maxBatchSize: MAX_BATCH_CALLS,
    createContext: ({ req }) =>
      createTRPCContext({
        db: db!,
        readDb,
        tiers: options.tiers,
        serviceToken: options.serviceToken,
        logError: options.logError,
        // Service-token auth only: a request without a valid token is anonymous.
        authorization: req.headers.authorization ?? null,
      }),
  });
  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const timeouts = {
    requestTimeout,
    headersTimeout: Math.min(options.headersTimeoutMs ?? 5_000, requestTimeout),
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
    // How often Node checks the two timeouts above (default 30 s).
    connectionsCheckingInterval: 250,
  };
  return createServer(timeouts, (req, res) => {
    if (!db) {
      const healthz = req.url === "/healthz";
      json(res, 503, healthz ? { status: "database unavailable" } : UNAVAILABLE);
      req.resume();
      return;
    }
    if (req.url === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      void health(db, options.healthTimeoutMs ?? 1000).then((ok) =>
        json(res, ok ? 200 : 503, { status: ok ? "ok" : "database unavailable" }),
      );
      return;
    }
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      refuseTooLarge(req, res);
      return;
    }
    void handler(req, res);
  });
}
