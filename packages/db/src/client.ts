import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import type { Logger } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lockDataFolder } from "./data-lock";
import { defaultMigrationsFolder, migrate } from "./migrate";
import * as schema from "./schema";

export type Schema = typeof schema;
/**
 * A Drizzle database on either driver — a `createDb` handle's, or the host's own instance or open
 * transaction, whatever its schema; service functions take this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = PgDatabase<PgQueryResultHKT, any>;

export interface DbHandle {
  db: Db;
  /**
   * With `readUrl`: the streaming replica, for reads that may lag (usagekit sends it the
   * analytics, never a read a limit or an idempotency decision depends on). No migrations run
   * there: the replica follows the primary.
   */
  readDb?: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /**
   * A postgres:// URL (the entry points pass `DATABASE_URL`). Without one, PGlite is used. This
   * package never reads `process.env` itself.
   */
  url?: string;
  /** A postgres:// URL of a streaming replica of `url` (`DATABASE_READ_URL`): see `readDb`. */
  readUrl?: string;
  /** PGlite data folder (`memory://` for a throwaway one); defaults to `./.data/pglite`. */
  dataDir?: string;
  /**
   * PGlite only: start from a copy of another PGlite's data (its `dumpDataDir()`), e.g. a
   * migrated template that each test's fresh database is opened from (~0.4 s, where creating an
   * empty cluster takes ~1.3 s). Pending migrations are applied as usual.
   */
  loadDataDir?: Blob;
  /** Where the drizzle-kit migrations are; defaults to this package's `drizzle/` folder. */
  migrationsFolder?: string;
  /** postgres.js pool size (default 10). */
  max?: number;
  /**
   * PostgreSQL `statement_timeout` for every statement, in ms (default: none). A startup
   * parameter: not with `pooler` (set it on the database or role there).
   */
  statementTimeoutMs?: number;
  /**
   * `"transaction"`: PostgreSQL is reached through a transaction-pooling pooler (PgBouncer in
   * transaction mode, Supabase's and Neon's poolers). Then nothing outlives one transaction on a
   * connection: no named prepared statements and no startup parameters.
   */
  pooler?: "transaction";
  /** Drizzle's query logger (e.g. to see or explain the SQL a service runs). */
  logger?: Logger;
}

/** Opens the database (postgres.js when a URL is given, PGlite otherwise) and applies pending migrations. */
export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
  const url = options.url || undefined;
  if (url) {
    if (![url, options.readUrl ?? url].every((u) => /^postgres(ql)?:\/\//.test(u)))
      throw new Error("the database URL must be a postgres:// URL");
    if (options.pooler && options.statementTimeoutMs)
      throw new Error(
        "statementTimeoutMs is a startup parameter, which a transaction pooler refuses: set statement_timeout on the database or role",
      );
    const connect = (to: string) =>
      postgres(to, {
        max: options.max ?? 10,
        ...(options.pooler === "transaction" ? { prepare: false } : {}),
        // A long migration's progress (`usagekit: ...` notices) is printed; other notices are not.
        onnotice: (notice: { message?: string }) =>
          void (notice.message?.startsWith("usagekit:") && console.log(notice.message)),
        // A server that went away is retried at once and then every half second (the default
        // backoff grows to 20 s), and a connection attempt gives up after 5 s.
        backoff: (retries: number) => Math.min(0.1 * retries, 0.5),
        connect_timeout: 5,
        // No catalog query on connect: postgres.js (3.4.9) runs it as the first statement of every
        // new connection and drops its promise, so a connection killed (57P01, a reset) while it
        // runs is an unhandled rejection that exits the process (porsager/postgres#1192, #1223).
        // usagekit binds and reads no PostgreSQL arrays, which is all the fetched types are for.
        fetch_types: false,
        // No session settings of usagekit's own: its answers do not depend on DateStyle, TimeZone,
        // IntervalStyle or search_path (instants are answered as to_jsonb, tables are qualified).
        ...(options.statementTimeoutMs
          ? { connection: { statement_timeout: options.statementTimeoutMs } }
          : {}),
      });
    const client = connect(url);
    const reader = options.readUrl ? connect(options.readUrl) : null;
    const db = drizzlePostgres({ client, schema, casing: "snake_case", logger: options.logger });
    const readDb = reader
      ? drizzlePostgres({ client: reader, schema, casing: "snake_case", logger: options.logger })
      : undefined;
    // In-flight queries get 5 s to finish; a connection that lost its server is not waited for.
    const close = () =>
      Promise.all([client.end({ timeout: 5 }), reader?.end({ timeout: 5 })]).then(() => {});
    return migrated({ db, ...(readDb && { readDb }), kind: "postgres", close }, migrationsFolder);
  }
  const dataDir = options.dataDir ?? "./.data/pglite";
  const inMemory = dataDir.includes("://");
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const unlock = inMemory ? () => {} : lockDataFolder(dataDir);
  let client: PGlite;
  // Loaded only here, so a host on PostgreSQL never loads (or bundles) PGlite's 15 MB.
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
  ]);
  try {
    client = await PGlite.create(
      dataDir,
      options.loadDataDir ? { loadDataDir: options.loadDataDir } : undefined,
    );
  } catch (error) {
    unlock();
    throw error;
  }
  const db = drizzlePglite({ client, schema, casing: "snake_case", logger: options.logger });
  const close = async () => {
    await client.close();
    unlock();
  };
  return migrated({ db, kind: "pglite", close }, migrationsFolder);
}

/** Applies the migrations; a failure closes the client, so nothing is left hanging. */
async function migrated(handle: DbHandle, migrationsFolder: string): Promise<DbHandle> {
  try {
    await migrate(handle.db, { migrationsFolder });
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}
