import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { readEnv } from "../src/env";
import { rootMessage } from "../src/transport/lifecycle";

/**
 * The database a command works on (DATABASE_URL, else the PGlite folder USAGE_DATA_DIR); when
 * it cannot be opened, one line naming the command and exit 1.
 */
export async function openDatabase(command: string): Promise<DbHandle> {
  const env = readEnv();
  return createDb({ url: env.DATABASE_URL, dataDir: env.USAGE_DATA_DIR }).catch(
    (error: unknown) => {
      console.error(`${command}: cannot open the database: ${rootMessage(error)}`);
      process.exit(1);
    },
  );
}
