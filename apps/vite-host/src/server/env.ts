/** The server's settings: the one file that reads `process.env`. */
const secret = process.env.SESSION_SECRET ?? "";
if (secret.length < 32) throw new Error("SESSION_SECRET must be at least 32 characters");

export const env = {
  /** PostgreSQL (`postgres://…`); without it, PGlite in DATA_DIR. */
  DATABASE_URL: process.env.DATABASE_URL,
  DATA_DIR: process.env.DATA_DIR ?? ".data",
  SESSION_SECRET: secret,
  PORT: Number(process.env.PORT ?? 3000),
};
