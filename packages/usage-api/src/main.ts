import { readEnv } from "./env";
import { openWhenReady, shutdown } from "./lifecycle";
import { createUsageServer } from "./server";

const env = readEnv();
const handle = await openWhenReady({
  url: env.DATABASE_URL,
  dataDir: env.USAGE_DATA_DIR,
  max: env.DATABASE_POOL_MAX,
  statementTimeoutMs: env.USAGE_STATEMENT_TIMEOUT_MS,
});
const server = createUsageServer({ db: handle.db, serviceToken: env.USAGE_SERVICE_TOKEN });
server.listen(env.PORT, env.HOST, () => {
  console.log(`usagekit API on http://${env.HOST}:${env.PORT}/api/trpc (${handle.kind})`);
});

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`usagekit API: ${signal}, finishing in-flight requests`);
  void shutdown(server, handle).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
