import { z } from "zod";

const schema = z.object({
  /** Bearer token of trusted backends. Missing or shorter than 16 characters: service access is off. */
  USAGE_SERVICE_TOKEN: z.string().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3001),
  HOST: z.string().default("127.0.0.1"),
  /** PGlite data folder of the standalone server when DATABASE_URL is unset. */
  USAGE_DATA_DIR: z.string().default(".data/pglite"),
});

/** The only place this package reads `process.env`. */
export const env = schema.parse(process.env);
