/**
 * Recomputes the monthly, daily and lifetime rows from the ledger and payments and reports every
 * row that drifted; with --fix, rewrites them. Exits 1 when drift was found and not fixed.
 */
import { createDb } from "@usagekit/db";
import { defaultTiers } from "../src";
import { readEnv } from "../src/env";
import { rootMessage } from "../src/transport/lifecycle";
import { findDrift, repairDrift } from "../src/record/reconcile";

const fix = process.argv.includes("--fix");
const env = readEnv();
const handle = await createDb({ url: env.DATABASE_URL, dataDir: env.USAGE_DATA_DIR }).catch(
  (error: unknown) => {
    console.error(`reconcile: cannot open the database: ${rootMessage(error)}`);
    process.exit(1);
  },
);
try {
  const drift = await (fix ? repairDrift : findDrift)(handle.db, { tiers: defaultTiers });
  for (const d of drift) console.log(JSON.stringify(d));
  console.log(
    drift.length === 0
      ? "reconcile: no drift"
      : `reconcile: ${drift.length} drifted row(s)${fix ? ", repaired" : " (run with --fix to repair)"}`,
  );
  process.exitCode = drift.length > 0 && !fix ? 1 : 0;
} finally {
  await handle.close();
}
