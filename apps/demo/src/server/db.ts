import "server-only";
import { join } from "node:path";
import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { env } from "~/env";
import { now } from "./clock";
import { seedDemo } from "./seed";

const globalForDb = globalThis as unknown as { usagekitDemoDb?: Promise<DbHandle> };

async function open(): Promise<DbHandle> {
  const handle = await createDb({
    url: env.DATABASE_URL,
    dataDir: join(env.DEMO_DATA_DIR, "pglite"),
    migrationsFolder: env.MIGRATIONS_DIR,
  });
  // The demo's own table: sessions ended by sign-out (the demo app's data, not usagekit's).
  await handle.db.execute(sql`CREATE TABLE IF NOT EXISTS demo_revoked_sessions (
    sid text PRIMARY KEY, expires_at timestamptz NOT NULL)`);
  await seedDemo(handle.db, now());
  return handle;
}

/**
 * The one database of this process (PGlite under DEMO_DATA_DIR, or DATABASE_URL), migrated and
 * seeded. Kept on globalThis: Next may load this module more than once, and a PGlite data folder
 * must be opened only once. Warmed at boot by instrumentation.ts.
 */
export function getDb(): Promise<DbHandle> {
  globalForDb.usagekitDemoDb ??= open().catch((error: unknown) => {
    globalForDb.usagekitDemoDb = undefined;
    throw error;
  });
  return globalForDb.usagekitDemoDb;
}
