import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defineCatalog } from "./define-catalog";
import type { CatalogShape } from "./define-catalog";
import { defaultMigrationsFolder } from "./migrate";
import { appendOwnMigrations, readJson, snapshotFile } from "./generate-own";
import type { Journal } from "./generate-own";
import { usagekit, usagekitTables } from "./tables";

/** usagekit's own migrations (the default catalog's tables and its SQL functions), copied once. */
function copyBaseline(out: string, log: (line: string) => void) {
  const from = defaultMigrationsFolder();
  mkdirSync(join(out, "meta"), { recursive: true });
  for (const file of readdirSync(from).filter((f) => f.endsWith(".sql"))) {
    copyFileSync(join(from, file), join(out, file));
    log(`usagekit: wrote ${join(out, file)} (usagekit's own)`);
  }
  for (const file of readdirSync(join(from, "meta")))
    copyFileSync(join(from, "meta", file), join(out, "meta", file));
}

/**
 * Writes the migrations of a host's catalog into `out` (a drizzle-kit migrations folder that
 * `migrate(db, { migrationsFolder: out })` applies): usagekit's own migrations the first time —
 * and, later, those usagekit added since (`appendOwnMigrations`) — then one migration for
 * whatever the catalog changed since the last one written there — new
 * features' columns, removed ones, the tiers a tier column accepts. Returns the new file, or null
 * when the folder is up to date.
 */
export async function generateMigrations(
  catalog: CatalogShape,
  out: string,
  log: (line: string) => void = console.log,
): Promise<string | null> {
  defineCatalog(catalog);
  const journalFile = join(out, "meta", "_journal.json");
  if (!existsSync(journalFile)) copyBaseline(out, log);
  else appendOwnMigrations(out, log);
  const journal = readJson<Journal>(journalFile);
  const last = journal.entries.at(-1)!;
  const prev = readJson<Parameters<typeof generateMigration>[0]>(snapshotFile(out, last.idx));
  // drizzle-kit's own diff, as `drizzle-kit generate` makes it (loaded only by this command).
  const { generateDrizzleJson, generateMigration } = await import("drizzle-kit/api");
  const tables = { usagekit, ...usagekitTables(catalog) };
  const cur = generateDrizzleJson(tables, prev.id, undefined, "snake_case");
  const statements = await generateMigration(prev, cur);
  if (statements.length === 0) {
    log(`usagekit: ${out} is up to date with the catalog`);
    return null;
  }
  const idx = last.idx + 1;
  const tag = `${String(idx).padStart(4, "0")}_catalog`;
  const file = join(out, `${tag}.sql`);
  writeFileSync(file, statements.join("\n--> statement-breakpoint\n") + "\n");
  writeFileSync(snapshotFile(out, idx), JSON.stringify(cur, null, 2) + "\n");
  // The migrator applies what is newer than the last applied: `when` only grows.
  const when = Math.max(Date.now(), last.when + 1);
  journal.entries.push({ idx, version: last.version, when, tag, breakpoints: true });
  writeFileSync(journalFile, JSON.stringify(journal, null, 2) + "\n");
  log(`usagekit: wrote ${file} (${statements.length} statements)`);
  return file;
}
