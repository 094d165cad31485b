// Sums the vitest JSON reports of every package: one closing line for CI, and the count per
// database (suites are named "... on pglite" / "... on postgres"). A skipped test fails the run:
// CI must run every suite (the real-server ones included), so a skip is a hole, not a pass.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
const skippedNames = [];
const perDb = { pglite: 0, postgres: 0 };
for (const root of ["packages", "apps"]) {
  if (!existsSync(root)) continue;
  for (const pkg of readdirSync(root)) {
    const dir = join(root, pkg);
    // test-results.json, and test-results-<tag>.json of extra runs (the demo at pinned dates).
    const files = existsSync(dir)
      ? readdirSync(dir).filter((f) => /^test-results(-[\w.-]+)?\.json$/.test(f))
      : [];
    for (const file of files.map((f) => join(dir, f))) {
      const report = JSON.parse(readFileSync(file, "utf8"));
      for (const suite of report.testResults) {
        for (const t of suite.assertionResults) {
          if (t.status === "passed") passed++;
          else if (t.status === "failed") failed++;
          else {
            skipped++;
            skippedNames.push(
              `${file}: ${[...t.ancestorTitles, t.title].join(" > ")} (${t.status})`,
            );
          }
          const db = t.ancestorTitles.join(" ").match(/ on (pglite|postgres)\b/)?.[1];
          if (db && t.status === "passed") perDb[db]++;
        }
      }
    }
  }
}
console.log(`per database: pglite ${perDb.pglite} passed, postgres ${perDb.postgres} passed`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
for (const name of skippedNames) console.log(`skipped: ${name}`);
if (passed === 0 || failed > 0 || skipped > 0) process.exit(1);
