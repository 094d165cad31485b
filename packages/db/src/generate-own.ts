import { randomUUID } from "node:crypto";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { defaultMigrationsFolder } from "./migrate";

/** A drizzle-kit migrations journal (`meta/_journal.json`). */
export interface Journal {
  version: string;
  dialect: string;
  entries: { idx: number; version: string; when: number; tag: string; breakpoints: boolean }[];
}

type Named = Record<string, unknown>;
type Snapshot = Named & { id: string; prevId: string };

/** `0005_retention` → `retention`: a migration's name without its number. */
const nameOf = (tag: string) => tag.replace(/^\d+_/, "");
export const readJson = <T>(file: string) => JSON.parse(readFileSync(file, "utf8")) as T;
export const snapshotFile = (folder: string, idx: number) =>
  join(folder, "meta", `${String(idx).padStart(4, "0")}_snapshot.json`);

/**
 * `host` with what changed from `before` to `after` (`depth` 3 for a snapshot: its sections, their
 * tables, enums…, a table's columns, indexes, keys and checks, each one of those): what `after` added or changed
 * replaces the host's, what it removed goes, and everything it left alone stays the host's (its
 * catalog's columns and tier checks).
 */
function mergeChanges(host: Named, before: Named, after: Named, depth: number): Named {
  const merged: Named = { ...host };
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [b, a] = [before[key], after[key]];
    if (a === undefined) delete merged[key];
    else if (b === undefined || host[key] === undefined) merged[key] = a;
    else if (isDeepStrictEqual(a, b)) continue;
    else if (depth > 0 && typeof a === "object" && typeof b === "object" && a && b)
      merged[key] = mergeChanges(host[key] as Named, b as Named, a as Named, depth - 1);
    else merged[key] = a;
  }
  return merged;
}

/**
 * usagekit's own migrations that a host's folder lacks — written there before usagekit added
 * them (the ledger's partitioning, retention's tables, the pricing lab's functions) — appended
 * after the host's last migration, in usagekit's order and unchanged, each with a snapshot that is
 * the host's last one plus that migration's own changes (`mergeChanges`), so the catalog's next
 * diff starts from what the host's database will hold. Returns the files written.
 */
export function appendOwnMigrations(out: string, log: (line: string) => void): string[] {
  const own = defaultMigrationsFolder();
  const ownJournal = readJson<Journal>(join(own, "meta", "_journal.json"));
  const journalFile = join(out, "meta", "_journal.json");
  const journal = readJson<Journal>(journalFile);
  const present = new Set(journal.entries.map((e) => nameOf(e.tag)));
  const written: string[] = [];
  for (const entry of ownJournal.entries) {
    if (present.has(nameOf(entry.tag))) continue;
    if (entry.idx === 0) throw new Error(`${out} does not start with usagekit's own migrations`);
    const last = journal.entries.at(-1)!;
    const prev = readJson<Snapshot>(snapshotFile(out, last.idx));
    const before = readJson<Named>(snapshotFile(own, entry.idx - 1));
    const after = readJson<Named>(snapshotFile(own, entry.idx));
    const merged = { ...mergeChanges(prev, before, after, 3), id: randomUUID(), prevId: prev.id };
    const idx = last.idx + 1;
    const tag = `${String(idx).padStart(4, "0")}_${nameOf(entry.tag)}`;
    const file = join(out, `${tag}.sql`);
    copyFileSync(join(own, `${entry.tag}.sql`), file);
    writeFileSync(snapshotFile(out, idx), JSON.stringify(merged, null, 2) + "\n");
    // The migrator applies what is newer than the last applied: `when` only grows.
    const when = Math.max(Date.now(), last.when + 1);
    journal.entries.push({ ...entry, idx, when, tag });
    writeFileSync(journalFile, JSON.stringify(journal, null, 2) + "\n");
    log(`usagekit: wrote ${file} (usagekit's own ${entry.tag}, new since this folder was made)`);
    written.push(file);
  }
  return written;
}
