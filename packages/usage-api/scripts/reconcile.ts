/**
 * Recomputes the monthly, daily and lifetime rows from the ledger and payments and reports every
 * row that drifted; with --fix, rewrites them. Exits 1 when drift was found and not fixed.
 */
import { defaultTiers } from "../src";
import { openDatabase } from "./open-database";
import { findDrift, repairDrift } from "../src/record/reconcile";
import { retainedSummary } from "../src/retention/retain";

const fix = process.argv.includes("--fix");
const handle = await openDatabase("reconcile");
try {
  const retained = await retainedSummary(handle.db);
  if (retained)
    console.log(
      `reconcile: retention dropped the ledger's months before ${retained.keptFrom} for ${retained.users} learner(s): those months are not checked, only their totals in the lifetime rows`,
    );
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
