import { z } from "zod";

const schema = z
  .object({
    /** A postgres:// URL: real PostgreSQL. Unset or empty: PGlite in USAGE_DATA_DIR. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// URL")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    /**
     * A postgres:// URL of a streaming replica of DATABASE_URL: the analytics are answered there
     * (and by the primary while it cannot answer). Unset: everything on DATABASE_URL.
     */
    DATABASE_READ_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "DATABASE_READ_URL must be a postgres:// URL")
      .optional()
      .or(z.literal("").transform(() => undefined)),
    DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
    /**
     * `transaction`: DATABASE_URL is a transaction-pooling pooler (PgBouncer in transaction mode,
     * Supabase's or Neon's): no named prepared statements and no startup parameters (so no
     * USAGE_STATEMENT_TIMEOUT_MS: set statement_timeout on the database or role).
     */
    DATABASE_POOLER: z.enum(["transaction"]).optional(),
    /** Bearer token of trusted backends. Missing or shorter than 16 characters: service access is off. */
    USAGE_SERVICE_TOKEN: z.string().optional(),
    PORT: z.coerce.number().int().min(1).max(65535).default(3001),
    HOST: z.string().default("127.0.0.1"),
    /** PGlite data folder of the standalone server when DATABASE_URL is unset. */
    USAGE_DATA_DIR: z.string().default(".data/pglite"),
    /** Every statement is cut off after this many ms, so no request waits forever. */
    USAGE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
    /** Processes serving the port (node:cluster); more than 1 needs DATABASE_URL. */
    USAGE_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
    /** Where alerts are POSTed as signed webhooks (none: not delivered). */
    USAGE_WEBHOOK_URL: z.url({ message: "USAGE_WEBHOOK_URL must be a URL" }).optional(),
    /** The webhooks' signing secret: at least 16 characters, required with USAGE_WEBHOOK_URL. */
    USAGE_WEBHOOK_SECRET: z.string().optional(),
    /**
     * How often the analytics' rollups fold the ledger's new events (ms). Reports answered by
     * the primary fold first anyway; a replica's reports lag by at most this (plus its replay).
     */
    USAGE_ROLLUP_REFRESH_MS: z.coerce.number().int().min(1_000).max(60_000).default(10_000),
  })
  .refine((e) => !e.USAGE_WEBHOOK_URL || (e.USAGE_WEBHOOK_SECRET ?? "").length >= 16, {
    message: "USAGE_WEBHOOK_SECRET of at least 16 characters is required with USAGE_WEBHOOK_URL",
    path: ["USAGE_WEBHOOK_SECRET"],
  });

export type Env = z.infer<typeof schema>;

/** The settings of this package's entry points (server, scripts); only they call it. */
export const readEnv = (): Env => schema.parse(process.env);
