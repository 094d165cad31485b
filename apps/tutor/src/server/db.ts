import "server-only";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate as migrateUsagekit } from "@usagekit/db";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { env } from "~/env";
import * as schema from "./schema";

/** The tutor's Drizzle instance: its own schema, on PostgreSQL or PGlite. */
export type TutorDb = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Opens the database with the host's own Drizzle setup and its own migrator. */
async function connect(): Promise<{ db: TutorDb; migrateHost: () => Promise<void> }> {
  const config = { migrationsFolder: env.MIGRATIONS_DIR };
  if (env.DATABASE_URL) {
    const { drizzle } = await import("drizzle-orm/postgres-js");
    const { migrate } = await import("drizzle-orm/postgres-js/migrator");
    const db = drizzle(env.DATABASE_URL, { schema, casing: "snake_case" });
    return { db, migrateHost: () => migrate(db, config) };
  }
  const { drizzle } = await import("drizzle-orm/pglite");
  const { migrate } = await import("drizzle-orm/pglite/migrator");
  const dataDir = join(env.TUTOR_DATA_DIR, "pglite");
  mkdirSync(dataDir, { recursive: true });
  const db = drizzle(dataDir, { schema, casing: "snake_case" });
  return { db, migrateHost: () => migrate(db, config) };
}

async function open(): Promise<TutorDb> {
  const { db, migrateHost } = await connect();
  // usagekit keeps its own migrations table (usagekit.__migrations): either order works.
  const usagekit = () => migrateUsagekit(db, { migrationsFolder: env.USAGEKIT_MIGRATIONS_DIR });
  if (env.TUTOR_MIGRATE_ORDER === "host-first") {
    await migrateHost();
    await usagekit();
  } else {
    await usagekit();
    await migrateHost();
  }
  console.log(`tutor: database ready (${env.TUTOR_MIGRATE_ORDER})`);
  return db;
}

const globalForDb = globalThis as unknown as { tutorDb?: Promise<TutorDb> };

/** The one database of this process, migrated (kept on globalThis: Next may load this twice). */
export function getDb(): Promise<TutorDb> {
  globalForDb.tutorDb ??= open().catch((error: unknown) => {
    globalForDb.tutorDb = undefined;
    throw error;
  });
  return globalForDb.tutorDb;
}
