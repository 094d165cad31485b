import { resolve } from "node:path";
import { z } from "zod";

const schema = z.object({
  /** Service bearer token for backends calling /api/trpc; unset or short: service access off. */
  USAGE_SERVICE_TOKEN: z.string().optional(),
  /** Signs the demo session cookie; when unset a random one is kept in the data folder. */
  SESSION_SECRET: z.string().min(32).optional(),
  /** Where the embedded database (and the generated secret) live when DATABASE_URL is unset. */
  DEMO_DATA_DIR: z.string().default(".data"),
  /** The drizzle-kit migrations; bundling breaks import.meta.url, so the path is resolved here. */
  MIGRATIONS_DIR: z.string().default(resolve(process.cwd(), "../../packages/db/drizzle")),
  NODE_ENV: z.string().default("development"),
});

/** The only place this app reads `process.env` (DATABASE_URL is read by @usagekit/db). */
export const env = schema.parse(process.env);
