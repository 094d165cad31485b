export * from "./schema";
export {
  createDb,
  defaultMigrationsFolder,
  preparedStatement,
  queryRows,
  sessionSettings,
} from "./client";
export type { CreateDbOptions, Db, DbHandle, Schema } from "./client";
export { DataFolderInUseError } from "./data-lock";
