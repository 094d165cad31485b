import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { afterAll, beforeAll } from "vitest";
import { freshDatabase } from "../../db/test/fresh-database";
import { dumpPglite } from "../../db/test/pglite-dump";
import { createCaller, createTRPCContext } from "../src";
import { createUsageServer } from "../src/transport/server";
import type { ServerOptions } from "../src/transport/server";
import type { CreateContextOptions } from "../src";

// Test-only configuration, read here rather than in src/env.ts.
const DATABASE_URL = process.env.DATABASE_URL || undefined;
if (process.env.CI && !DATABASE_URL) {
  throw new Error("CI must set DATABASE_URL: the real-PostgreSQL suites may not be skipped");
}

export type DbKind = "pglite" | "postgres";
/** Every suite runs on PGlite, and on the real server when DATABASE_URL is set. */
export const dbKinds: DbKind[] = DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

/**
 * A migrated in-memory PGlite's data, made once per test process: each test's fresh PGlite
 * starts from a copy of it instead of creating an empty cluster (~1 s less per database).
 */
let pgliteTemplate: Promise<Blob> | undefined;
const migratedPglite = () =>
  (pgliteTemplate ??= createDb({ url: "", dataDir: "memory://" }).then(async (handle) => {
    try {
      return await dumpPglite(handle);
    } finally {
      await handle.close();
    }
  }));

/** A fresh, migrated database: an in-memory PGlite, or a new database on the PostgreSQL server. */
export async function openTestDb(
  kind: DbKind,
  options: { max?: number } = {},
): Promise<DbHandle & { url?: string }> {
  if (kind === "pglite")
    return createDb({ url: "", dataDir: "memory://", loadDataDir: await migratedPglite() });
  const database = await freshDatabase(DATABASE_URL!, "usagekit_test");
  const handle = await createDb({ url: database.url, max: options.max });
  return { ...handle, url: database.url, close: () => handle.close().then(database.drop) };
}

type CallerOptions = Omit<CreateContextOptions, "db">;

/** A server-side caller with service auth (or the auth given). */
export const callerFor = (handle: DbHandle, options: CallerOptions = {}) =>
  createCaller(createTRPCContext({ auth: { type: "service" }, ...options, db: handle.db }));

export const newUserId = () => randomUUID();

/**
 * A suite's database: a fresh migrated one opened before its tests and closed after them, and a
 * service caller on it (with the clock fixed at `now`, when given).
 */
export function useTestDb(kind: DbKind, options: { now?: Date; max?: number } = {}) {
  const suite = {} as { handle: DbHandle & { url?: string }; api: ReturnType<typeof callerFor> };
  beforeAll(async () => {
    suite.handle = await openTestDb(kind, { max: options.max });
    suite.api = callerFor(suite.handle, options.now ? { now: () => options.now! } : {});
  });
  afterAll(() => suite.handle.close());
  return suite;
}

/** Listens on a free loopback port; the server's origin (`http://127.0.0.1:port`). */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A suite's standalone server (createUsageServer, in this process) on a fresh database of `kind`:
 * started before its tests, closed after them. `url` is its tRPC endpoint.
 */
export function useServer(
  kind: DbKind,
  options: Omit<ServerOptions, "db">,
  dbOptions: { max?: number } = {},
) {
  const suite = {} as { handle: DbHandle; server: Server; origin: string; url: string };
  beforeAll(async () => {
    suite.handle = await openTestDb(kind, dbOptions);
    suite.server = createUsageServer({ ...options, db: suite.handle.db });
    suite.origin = await listen(suite.server);
    suite.url = `${suite.origin}/api/trpc`;
  });
  afterAll(async () => {
    suite.server.closeAllConnections();
    await new Promise((resolve) => suite.server.close(resolve));
    await suite.handle.close();
  });
  return suite;
}
