import { defineConfig } from "drizzle-kit";

// The host's own migrations: only its tables in `public`. usagekit's tables (schema `usagekit`)
// have their own migrations, applied by `migrate(db)` from @usagekit/db.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/server/schema.ts",
  out: "./drizzle",
  casing: "snake_case",
  schemaFilter: ["public"],
});
