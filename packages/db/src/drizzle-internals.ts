import type { Query } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { MigrationConfig } from "drizzle-orm/migrator";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/**
 * The two places usagekit reaches into Drizzle beyond its public API, kept in this one file;
 * `test/query.test.ts` fails if Drizzle changes either.
 */

/**
 * Drizzle's own prepared query of a database's session: raw SQL as a prepared statement, on both
 * drivers and inside transactions (the host's instance or transaction too).
 */
export const prepareRaw = (db: Db, query: Query) =>
  db._.session.prepareQuery(query, undefined, "usagekit", false);

/**
 * Drizzle's own migrator (what `drizzle-orm/<driver>/migrator` runs), on whichever driver `db`
 * runs, with usagekit's migrations table.
 */
export async function runMigrations(db: Db, config: MigrationConfig) {
  const { dialect, session } = db as unknown as { dialect: PgDialect; session: PgSession };
  await dialect.migrate(readMigrationFiles(config), session, config);
}
