import type { PGlite } from "@electric-sql/pglite";
import type { DbHandle } from "../src";

/**
 * The data of a `createDb` handle's PGlite (`dumpDataDir`), to open copies of it with
 * `createDb({ loadDataDir })`. Shared by the test suites of every package.
 */
export const dumpPglite = (handle: DbHandle): Promise<Blob> =>
  (handle.db as unknown as { $client: PGlite }).$client.dumpDataDir("none");
