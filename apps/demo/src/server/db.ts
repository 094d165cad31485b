import "server-only";
import { join } from "node:path";
import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { env } from "~/env";
import { now } from "./clock";
import { seedDemo } from "./seed";
import { seedPopulation, seedProgress } from "./seed-population";
import { seedStatus } from "./seed-status";

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
  void seedInBackground(handle);
  return handle;
}

/**
 * The demo data, written while the app already answers (pages show "preparing data" until it is
 * done): first the named learners' year, then the generated population day by day.
 */
async function seedInBackground({ db }: DbHandle) {
  const status = seedStatus();
  const started = performance.now();
  try {
    // The named learners' year ends when the demo data was first started, also on a later start.
    const progress = await seedProgress(db, now());
    await seedDemo(db, progress.startedAt);
    status.phase = "population";
    await seedPopulation(db, now, env.DEMO_POPULATION, status, progress);
    status.phase = "ready";
    console.log(
      `usagekit demo: demo data ready in ${Math.round(performance.now() - started)} ms ` +
        `(${status.learners} generated learners, ${status.events} events written this start)`,
    );
  } catch (error) {
    status.phase = "failed";
    console.error("usagekit demo: the demo data could not be written", error);
  }
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
