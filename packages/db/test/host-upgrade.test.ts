import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, queryRows } from "../src";
import type { Db } from "../src";
import { freshDatabase } from "./fresh-database";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const kinds = DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const);
const packageDir = join(import.meta.dirname, "..");
const hostCatalog = join(import.meta.dirname, "fixtures", "host-catalog.ts");
/**
 * A host's migrations folder as `usagekit generate` wrote it before usagekit's migrations 0004–0011:
 * usagekit's own 0000–0003 (as they still are in `drizzle/`) and, kept here as it was written, the
 * host catalog's own 0004_catalog (with quizzes), its snapshot and the folder's journal.
 */
const hostPart = join(import.meta.dirname, "fixtures", "host-folder-0003");
const own = join(packageDir, "drizzle");
function oldFolder(out: string) {
  cpSync(hostPart, out, { recursive: true });
  for (const tag of [
    "0000_usagekit",
    "0001_limit_exceeded",
    "0002_sessions_alerts",
    "0003_grants",
  ]) {
    cpSync(join(own, `${tag}.sql`), join(out, `${tag}.sql`));
    const snapshot = `${tag.slice(0, 4)}_snapshot.json`;
    cpSync(join(own, "meta", snapshot), join(out, "meta", snapshot));
  }
}
const work = mkdtempSync(join(tmpdir(), "usagekit-host-upgrade-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function generate(out: string) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli.ts", "generate", "--catalog", hostCatalog, "--out", out],
    { cwd: packageDir, encoding: "utf8" },
  );
  return { code: run.status, output: run.stdout + run.stderr };
}

/** The ledger, every column of every row, as one digest; and its rows. */
const ledger = async (db: Db) =>
  (
    await queryRows<{ rows: number; digest: string; quizzes: number }>(
      db,
      sql`SELECT count(*)::int AS rows, sum(quizzes)::int AS quizzes,
        md5(string_agg(to_jsonb(e)::text, ',' ORDER BY id)) AS digest FROM usagekit.usage_events e`,
    )
  )[0]!;

/** A folder's last snapshot without its ids: what drizzle-kit diffs the catalog against. */
function lastSnapshot(folder: string) {
  const journal = JSON.parse(readFileSync(join(folder, "meta", "_journal.json"), "utf8")) as {
    entries: { idx: number }[];
  };
  const idx = String(journal.entries.at(-1)!.idx).padStart(4, "0");
  const {
    id: _id,
    prevId: _prev,
    ...rest
  } = JSON.parse(readFileSync(join(folder, "meta", `${idx}_snapshot.json`), "utf8")) as Record<
    string,
    unknown
  >;
  return rest;
}

describe.each(kinds)(
  "a host's migrations folder made before usagekit's later migrations, on %s",
  (kind) => {
    it("gets them appended by generate, and its database converts with every row", async () => {
      const out = join(work, kind);
      oldFolder(out);
      const server =
        kind === "postgres" ? await freshDatabase(DATABASE_URL!, "usagekit_upgrade") : null;
      const open = () =>
        createDb({
          ...(server ? { url: server.url } : { dataDir: join(work, `${kind}-data`) }),
          migrationsFolder: out,
        });

      // The host's database as that folder made it, with events over three months (quizzes too).
      let handle = await open();
      await handle.db.execute(
        sql`INSERT INTO usagekit.users (id, tier) VALUES ('u1', 'team'), ('u2', 'free')`,
      );
      await handle.db.execute(sql`
      INSERT INTO usagekit.usage_events (user_id, occurred_at, month, day, tier, idempotency_key, conversations, quizzes)
      SELECT CASE WHEN g % 2 = 0 THEN 'u1' ELSE 'u2' END, t, date_trunc('month', t)::date, t::date,
        CASE WHEN g % 2 = 0 THEN 'team' ELSE 'free' END, 'k' || g, 1, g % 3
      FROM generate_series(1, 90) g, LATERAL (SELECT timestamptz '2026-09-01 12:00+00' + g * interval '1 day') AS x(t)`);
      const before = await ledger(handle.db);
      expect(before.rows).toBe(90);
      await handle.close();

      const run = generate(out);
      expect(run.code, run.output).toBe(0);
      for (const own of [
        "0004_partitioned_ledger",
        "0005_retention",
        "0006_simulate",
        "0007_rollups",
        "0008_refusal_month",
        "0009_forecasts",
        "0010_forecasts_next",
        "0011_past_event_keys",
      ])
        expect(run.output).toContain(`usagekit's own ${own}, new since this folder was made`);
      expect(readdirSync(out).filter((f) => f.endsWith(".sql"))).toEqual([
        "0000_usagekit.sql",
        "0001_limit_exceeded.sql",
        "0002_sessions_alerts.sql",
        "0003_grants.sql",
        "0004_catalog.sql",
        "0005_partitioned_ledger.sql",
        "0006_retention.sql",
        "0007_simulate.sql",
        "0008_rollups.sql",
        "0009_refusal_month.sql",
        "0010_forecasts.sql",
        "0011_forecasts_next.sql",
        "0012_past_event_keys.sql",
        "0013_catalog.sql",
      ]);
      // The catalog's diff starts from what the database will hold: only quizzes in the new tables.
      expect(readFileSync(join(out, "0013_catalog.sql"), "utf8").trim()).toBe(
        `ALTER TABLE "usagekit"."ledger_retained" ADD COLUMN "quizzes" bigint DEFAULT 0 NOT NULL;\n` +
          `--> statement-breakpoint\n` +
          `ALTER TABLE "usagekit"."rollup_months" ADD COLUMN "quizzes" bigint DEFAULT 0 NOT NULL;\n` +
          `--> statement-breakpoint\n` +
          `CREATE INDEX "monthly_usage_overage_quizzes_idx" ON "usagekit"."monthly_usage" USING btree ("month") WHERE "usagekit"."monthly_usage"."overage_quizzes" > 0;`,
      );
      // And it ends where a folder written today for the same catalog ends.
      const fresh = join(work, `${kind}-fresh`);
      expect(generate(fresh).code).toBe(0);
      expect(lastSnapshot(out)).toEqual(lastSnapshot(fresh));
      expect(generate(out).output).toContain("is up to date with the catalog");

      // Migrated with the folder: the ledger partitioned by month, every row as it was, keys kept.
      handle = await open();
      try {
        expect(await ledger(handle.db)).toEqual(before);
        const [shape] = await queryRows<{ partitioned: boolean; months: number; keys: number }>(
          handle.db,
          sql`SELECT EXISTS (SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
            WHERE c.relname = 'usage_events') AS partitioned,
          (SELECT count(DISTINCT tableoid)::int FROM usagekit.usage_events) AS months,
          (SELECT count(*)::int FROM usagekit.usage_event_keys) AS keys`,
        );
        expect(shape).toEqual({ partitioned: true, months: 3, keys: 90 });
        const [retained] = await queryRows<{ n: number }>(
          handle.db,
          sql`SELECT count(*)::int AS n FROM information_schema.columns
          WHERE table_schema = 'usagekit' AND table_name = 'ledger_retained' AND column_name = 'quizzes'`,
        );
        expect(retained?.n).toBe(1);
      } finally {
        await handle.close();
        await server?.drop();
      }
    });
  },
);
