import cluster from "node:cluster";
import { readEnv } from "./env";
import { openWhenReady, rootMessage, runWorkers, shutdown } from "./transport/lifecycle";
import { createUsageServer } from "./transport/server";
import { startWebhookDelivery } from "./alerts/webhooks";
import { keepRollupsFresh } from "./rollups/refresh";
import { defaultTiers } from "./limits/tiers";

const env = readEnv();
const where = `http://${env.HOST}:${env.PORT}/api/trpc`;

if (cluster.isPrimary && env.USAGE_WORKERS > 1) {
  // Stateless workers sharing the port; each has its own pool to the one database.
  if (!env.DATABASE_URL) {
    console.error(
      "usagekit: USAGE_WORKERS > 1 needs DATABASE_URL (a PGlite folder is one process's)",
    );
    process.exit(1);
  }
  runWorkers(env.USAGE_WORKERS, () =>
    console.log(`usagekit API on ${where} (postgres, ${env.USAGE_WORKERS} workers)`),
  );
} else {
  // Listening at once: /healthz answers 503 (and every call 503) until the database is open.
  const opening = openWhenReady({
    url: env.DATABASE_URL,
    readUrl: env.DATABASE_READ_URL,
    dataDir: env.USAGE_DATA_DIR,
    max: env.DATABASE_POOL_MAX,
    // Behind a transaction pooler the timeout would be a startup parameter, which it refuses.
    ...(env.DATABASE_POOLER
      ? { pooler: env.DATABASE_POOLER }
      : { statementTimeoutMs: env.USAGE_STATEMENT_TIMEOUT_MS }),
  });
  const server = createUsageServer({
    db: opening.then((h) => h.db),
    readDb: opening.then((h) => h.readDb),
    serviceToken: env.USAGE_SERVICE_TOKEN,
  });
  const listening = new Promise<void>((resolve) => server.listen(env.PORT, env.HOST, resolve));
  const handle = await opening.catch((error: unknown) => {
    // A PGlite folder in use, a bad URL, a failed migration: one line, no stack, no SQL.
    console.error(`usagekit: cannot start: ${rootMessage(error)}`);
    process.exit(1);
  });
  await listening;
  if (cluster.isPrimary) console.log(`usagekit API on ${where} (${handle.kind})`);
  // Alerts as signed webhooks; several processes share the work (each alert is locked by one).
  const webhooks =
    env.USAGE_WEBHOOK_URL && env.USAGE_WEBHOOK_SECRET
      ? startWebhookDelivery(handle.db, {
          url: env.USAGE_WEBHOOK_URL,
          secret: env.USAGE_WEBHOOK_SECRET,
        })
      : null;

  // The analytics' rollups, folded on the primary (what a replica's reports read).
  const stopRollups = keepRollupsFresh(handle.db, {
    tiers: defaultTiers,
    everyMs: env.USAGE_ROLLUP_REFRESH_MS,
    onProgress: (line) => console.log(`usagekit: ${line}`),
    onError: (error) => console.error(`usagekit: rollups: ${rootMessage(error)}`),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopRollups();
    console.log(`usagekit API: ${signal}, finishing in-flight requests`);
    void (webhooks?.stop() ?? Promise.resolve())
      .then(() => shutdown(server, handle))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
