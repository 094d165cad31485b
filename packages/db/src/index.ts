export * from "./schema";
export { createDb, defaultMigrationsFolder, queryRows } from "./client";
export type { CreateDbOptions, Db, DbHandle, Schema } from "./client";
