export * from "./schema";
export { createDb, preparedStatement, queryRows, sessionSettings } from "./client";
export type { CreateDbOptions, Db, DbHandle, Schema } from "./client";
export { DataFolderInUseError } from "./data-lock";
export { defaultMigrationsFolder, migrate, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE } from "./migrate";
export type { MigrateOptions } from "./migrate";
