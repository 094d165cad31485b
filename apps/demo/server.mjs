// The demo's production server: `next start` with the request timeouts Next does not expose.
// Without them a client that sends its body slowly holds a socket for Node's default 5 minutes,
// and a few thousand such clients starve everyone else.
//
//   node server.mjs [--port 3000] [--hostname 0.0.0.0] [--request-timeout 10000]
import { createServer } from "node:http";
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
  (req, res) => void handle(req, res),
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
