/**
 * `pnpm --filter @usagekit/usage-api retention --keep-months N`: drops the ledger's raw events of
 * the months before the last N (and the current one), keeping what every answer needs of them.
 * Prints a line per month dropped. Exit 2 on a bad argument, 1 when the database cannot be opened.
 */
import { defaultTiers } from "../src";
import { openDatabase } from "./open-database";
import { retainLedger } from "../src/retention/retain";

const at = process.argv.indexOf("--keep-months");
const keepMonths = at < 0 ? NaN : Number(process.argv[at + 1]);
if (!Number.isInteger(keepMonths) || keepMonths < 1) {
  console.error("usage: retention --keep-months N (a whole number of months, at least 1)");
  process.exit(2);
}
const handle = await openDatabase("retention");
try {
  const result = await retainLedger(handle.db, {
    keepMonths,
    now: new Date(),
    tiers: defaultTiers,
    log: (line) => console.log(line),
  });
  console.log(
    result.dropped.length === 0
      ? `usagekit retention: nothing before ${result.keptFrom} to drop`
      : `usagekit retention: the ledger now holds the months from ${result.keptFrom} on`,
  );
} finally {
  await handle.close();
}
