import cluster from "node:cluster";
import type { Server } from "node:http";
import { createDb } from "@usagekit/db";
import type { CreateDbOptions, DbHandle } from "@usagekit/db";
import { codesOf } from "../store/error-codes";

const WAITABLE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED|EAI_AGAIN|57P03|57P01|08006|08001)$/;

/**
 * What went wrong, in one line without SQL: the deepest error's message (a migration's query
 * error wraps the driver's own).
 */
export function rootMessage(error: unknown): string {
  let last = error;
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) last = e;
  const message = last instanceof Error ? last.message : String(last);
  return message.split("\n")[0]!.slice(0, 300);
}

/**
 * Opens the database, waiting for a PostgreSQL server that is not up yet (one log line per
 * attempt, every `retryMs`) instead of exiting. Errors that waiting cannot fix — a PGlite folder
 * in use, a bad URL — are thrown at once.
 */
export async function openWhenReady(
  options: CreateDbOptions,
  log: (line: string) => void = console.error,
  retryMs = 1000,
): Promise<DbHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createDb(options);
    } catch (error) {
      const code = codesOf(error).find((c) => WAITABLE.test(c));
      if (!options.url || !code) throw error;
      const where = new URL(options.url);
      log(
        `usagekit: waiting for the database at ${where.hostname}:${where.port || 5432} (${code}, attempt ${attempt})`,
      );
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}

/**
 * Graceful stop: stop accepting, let in-flight requests finish (their keep-alive sockets close
 * after the answer), close idle sockets at once, and after `deadlineMs` close whatever is left.
 * Then the database handle is closed.
 */
export async function shutdown(server: Server, handle: DbHandle, deadlineMs = 10_000) {
  server.on("request", (_req, res) => res.setHeader("connection", "close"));
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const idle = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
  await closed;
  clearInterval(idle);
  clearTimeout(deadline);
  await handle.close();
}

/**
 * The primary of `USAGE_WORKERS`: forks `count` workers on the same port, says `ready` once all
 * listen, replaces a worker that dies unexpectedly, and on SIGTERM/SIGINT passes the signal on and
 * exits when every worker has finished.
 */
export function runWorkers(count: number, ready: () => void) {
  let listening = 0;
  let stopping = false;
  cluster.on("listening", () => {
    if (++listening === count) ready();
  });
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(
      `usagekit: worker ${worker.process.pid} died (${signal ?? code}); starting another`,
    );
    cluster.fork();
  });
  for (let i = 0; i < count; i++) cluster.fork();
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`usagekit API: ${signal}, stopping ${count} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
