import { getDb } from "./db";

// Opens, migrates and seeds the database at boot, so the first page does not wait for it.
const started = performance.now();
const handle = await getDb();
console.log(
  `usagekit demo: ${handle.kind} database ready in ${Math.round(performance.now() - started)} ms`,
);
