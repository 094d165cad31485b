// The demo's production server: `next start` with the request timeouts Next does not expose.
// Without them a client that sends its body slowly holds a socket for Node's default 5 minutes,
// and a few thousand such clients starve everyone else.
//
//   node server.mjs [--port 3000] [--hostname 0.0.0.0] [--request-timeout 10000]
import { createServer } from "node:http";
import { URL } from "node:url";
import { parseArgs } from "node:util";
import next from "next";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    hostname: { type: "string", default: "0.0.0.0" },
    // The whole request (headers and body) must arrive within this, else 408 and the socket closes.
    "request-timeout": { type: "string", default: "10000" },
  },
});
const port = Number(values.port);
const requestTimeout = Number(values["request-timeout"]);

/**
 * A browser's request that changes something, sent from another site: the Origin names another
 * host (or is "null"), or the browser says it is cross-site. Refused before Next sees it, so no
 * page elsewhere can sign a visitor in, switch their plan or run any action for them. Clients
 * that are not browsers send neither header and are judged by their credentials alone.
 */
function crossSite(req) {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return false;
  if (req.headers["sec-fetch-site"] === "cross-site") return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  const host = req.headers["x-forwarded-host"] ?? req.headers.host;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

const app = next({ dev: false, dir: import.meta.dirname, hostname: values.hostname, port });
const handle = app.getRequestHandler();
await app.prepare();

const server = createServer(
  {
    requestTimeout,
    headersTimeout: Math.min(5_000, requestTimeout),
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: 250,
  },
  (req, res) => {
    if (crossSite(req)) {
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
      res.end("A request from another site is refused.\n");
      return;
    }
    void handle(req, res);
  },
);
server.listen(port, values.hostname, () => {
  console.log(`usagekit demo on http://${values.hostname}:${port}`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
