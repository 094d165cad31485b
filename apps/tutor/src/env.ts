import { resolve } from "node:path";
import { z } from "zod";

const schema = z.object({
  /** A postgres:// URL: the tutor's PostgreSQL database. Unset or empty: PGlite under TUTOR_DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  TUTOR_DATA_DIR: z.string().default(".data"),
  /** Signs the session cookie (at least 32 bytes). Unset: a random one per process. */
  TUTOR_SESSION_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 32, "TUTOR_SESSION_SECRET must be at least 32 bytes")
    .optional(),
  /** Which migrations run first at boot; both orders must work (the tests run each). */
  TUTOR_MIGRATE_ORDER: z.enum(["host-first", "usagekit-first"]).default("host-first"),
  /** Bundling moves files, so the migration folders are resolved here. */
  MIGRATIONS_DIR: z.string().default(resolve(process.cwd(), "drizzle")),
  USAGEKIT_MIGRATIONS_DIR: z.string().default(resolve(process.cwd(), "../../packages/db/drizzle")),
});

/** The only place this app reads `process.env`. */
export const env = schema.parse(process.env);
