import { resolve } from "node:path";
import { z } from "zod";

const schema = z.object({
  /** A postgres:// URL: real PostgreSQL. Unset or empty: PGlite under DEMO_DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** Service bearer token for backends calling /api/trpc; unset or short: service access off. */
  USAGE_SERVICE_TOKEN: z.string().optional(),
  /** Signs the demo session cookie (at least 32 bytes); unset: a random one in the data folder. */
  SESSION_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 32, "SESSION_SECRET must be at least 32 bytes")
    .optional(),
  /** How many generated learners the demo writes in the background (besides the named ones). */
  DEMO_POPULATION: z.coerce.number().int().min(0).max(100_000).default(2000),
  /**
   * How far ahead of this server's clock a session's issue time may be (seconds): another
   * instance's clock may run ahead of this one's by that much.
   */
  SESSION_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** Where the embedded database (and the generated secret) live when DATABASE_URL is unset. */
  DEMO_DATA_DIR: z.string().default(".data"),
  /**
   * The demo's clock: an ISO instant at which the demo's time starts when it boots (it then runs
   * on). Unset: the system clock. Tests pin it to hard dates (the 1st, a DST change, 31 December).
   */
  DEMO_NOW: z.iso.datetime({ offset: true }).optional(),
  /** The drizzle-kit migrations; bundling breaks import.meta.url, so the path is resolved here. */
  MIGRATIONS_DIR: z.string().default(resolve(process.cwd(), "../../packages/db/drizzle")),
  NODE_ENV: z.string().default("development"),
});

/** The only place this app reads `process.env`. */
export const env = schema.parse(process.env);
