import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Db } from "./client";
import { runMigrations } from "./drizzle-internals";
import { queryRows } from "./query";

/** usagekit's own migrations table, in its own schema: a host's drizzle migrations never mix in. */
export const MIGRATIONS_SCHEMA = "usagekit";
export const MIGRATIONS_TABLE = "__migrations";

const packageFolder = join(dirname(fileURLToPath(import.meta.url)), "..");

/** This package's `drizzle/` folder (bundlers that move this file must pass `migrationsFolder`). */
export const defaultMigrationsFolder = () => join(packageFolder, "drizzle");

/**
 * The migrations of installations before the `usagekit` schema (tables in `public`): the
 * `drizzle-legacy/` folder next to `migrationsFolder`.
 */
const legacyMigrationsFolder = (migrationsFolder: string) =>
  join(migrationsFolder, "..", "drizzle-legacy");

/** usagekit's own tables (every one user-keyed), in the order the first migration made them. */
export const USAGEKIT_TABLES = [
  "users",
  "monthly_usage",
  "lifetime_stats",
  "usage_events",
  "daily_activity",
  "payments",
  "limit_refusals",
];

export interface MigrateOptions {
  /**
   * Where the drizzle-kit migrations are; defaults to this package's `drizzle/` folder (a bundler
   * that moves this file must pass it: `node_modules/@usagekit/db/drizzle`).
   */
  migrationsFolder?: string;
}

/**
 * An installation from before the `usagekit` schema keeps its tables in `public`: they are first
 * brought up to date with the old migrations (in drizzle's default table, where they were
 * recorded), then moved into `usagekit` as they are — every row, sequence and index goes along —
 * and the new baseline is recorded as applied. Runs in one transaction: all or nothing.
 */
async function upgradeLegacyInstallation(db: Db, migrationsFolder: string) {
  const [legacy] = await queryRows<{ found: boolean }>(
    db,
    sql`SELECT to_regclass('public.usage_events') IS NOT NULL
          AND to_regclass('public.limit_refusals') IS NOT NULL
          AND to_regclass('usagekit.usage_events') IS NULL AS found`,
  );
  if (legacy?.found !== true) return;
  await runMigrations(db, { migrationsFolder: legacyMigrationsFolder(migrationsFolder) });
  const [baseline] = readMigrationFiles({ migrationsFolder });
  if (!baseline) throw new Error(`no migrations in ${migrationsFolder}`);
  await db.transaction(async (tx) => {
    await tx.execute(sql`CREATE SCHEMA IF NOT EXISTS usagekit`);
    for (const table of USAGEKIT_TABLES) {
      await tx.execute(sql.raw(`ALTER TABLE public.${table} SET SCHEMA usagekit`));
    }
    await tx.execute(sql`DROP FUNCTION IF EXISTS public.usagekit_limit_exceeded(jsonb)`);
    await tx.execute(sql`DROP FUNCTION IF EXISTS public.usagekit_limit_exceeded()`);
    // The same table drizzle's migrator creates, with the baseline marked as applied.
    await tx.execute(
      sql.raw(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}" (
        id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`),
    );
    await tx.execute(
      sql`INSERT INTO ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}
            (hash, created_at) VALUES (${baseline.hash}, ${baseline.folderMillis})`,
    );
  });
}

/**
 * Applies usagekit's pending migrations to `db` — a `createDb` handle's or the host's own Drizzle
 * instance — recording them in `usagekit.__migrations`. Applying them twice is a no-op, and the
 * host's own drizzle migrations may run before or after, in their own table.
 */
export async function migrate(db: Db, options: MigrateOptions = {}): Promise<void> {
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
  await upgradeLegacyInstallation(db, migrationsFolder);
  await runMigrations(db, {
    migrationsFolder,
    migrationsSchema: MIGRATIONS_SCHEMA,
    migrationsTable: MIGRATIONS_TABLE,
  });
  await ensureLedgerPartitions(db);
}

/**
 * Makes the ledger's monthly partitions from last month to a year ahead that are missing (every
 * `migrate` does, so each start keeps a year ahead). Nothing depends on it for writes to succeed:
 * an event of a month without a partition goes to the default one, and moves into its month's
 * partition when that is made. Answers how many it made.
 */
export async function ensureLedgerPartitions(db: Db, monthsAhead = 12): Promise<number> {
  // A host's migrations folder written before the partitioned ledger has no such function.
  const [known] = await queryRows<{ found: boolean }>(
    db,
    sql`SELECT to_regprocedure('usagekit.ensure_ledger_partitions(date, date)') IS NOT NULL AS found`,
  );
  if (known?.found !== true) return 0;
  const [made] = await queryRows<{ made: number }>(
    db,
    sql`SELECT usagekit.ensure_ledger_partitions((current_date - interval '1 month')::date,
      (current_date + make_interval(months => ${monthsAhead}::int))::date) AS made`,
  );
  return made?.made ?? 0;
}
