export * from "./schema";
export { createDb, defaultMigrationsFolder, preparedStatement, queryRows } from "./client";
export type { CreateDbOptions, Db, DbHandle, Schema } from "./client";
