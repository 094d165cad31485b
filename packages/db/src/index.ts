export * from "./schema";
export { createDb } from "./client";
export { catalogNames, defineCatalog } from "./define-catalog";
export { preparedStatement, queryRows } from "./query";
export type { CreateDbOptions, Db, DbHandle, Schema } from "./client";
export { DataFolderInUseError } from "./data-lock";
export {
  defaultMigrationsFolder,
  ensureLedgerPartitions,
  migrate,
  MIGRATIONS_SCHEMA,
  MIGRATIONS_TABLE,
  USAGEKIT_TABLES,
} from "./migrate";
export type { MigrateOptions } from "./migrate";
