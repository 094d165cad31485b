import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, queryRows } from "../src";
import { sql } from "drizzle-orm";
import { freshDatabase } from "./fresh-database";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const kinds = DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const);
const packageDir = join(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "usagekit-generate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `usagekit generate` as a host runs it (here from source), with what it printed. */
function usagekit(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: packageDir,
    encoding: "utf8",
  });
  return { code: run.status, output: run.stdout + run.stderr };
}

/** A host's catalog module: the default one, with `extra` spread into it. */
function catalogFile(name: string, extra: string) {
  const file = join(work, `${name}.ts`);
  writeFileSync(
    file,
    `import { catalog as base, defineCatalog } from "${join(packageDir, "src/catalog")}";
export const catalog = defineCatalog({ ...base, ${extra} });\n`,
  );
  return file;
}
/** The README's example of a host catalog: the default one, a billable `quizzes`, a `team` tier. */
const withQuizzes = join(import.meta.dirname, "fixtures", "host-catalog.ts");
const sqlFiles = (folder: string) =>
  readdirSync(folder)
    .filter((f) => f.endsWith(".sql"))
    .sort();

describe("the usagekit command", () => {
  it("writes usagekit's own migrations, unchanged, for the default catalog", () => {
    const out = join(work, "default");
    const run = usagekit("generate", "--catalog", catalogFile("default", ""), "--out", out);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain("is up to date with the catalog");
    const own = join(packageDir, "drizzle");
    expect(sqlFiles(out)).toEqual(sqlFiles(own));
    for (const f of sqlFiles(own))
      expect(readFileSync(join(out, f), "utf8")).toBe(readFileSync(join(own, f), "utf8"));
  });

  it("refuses a catalog it cannot make tables of, naming the field, and writes nothing", () => {
    const out = join(work, "refused");
    const bad = catalogFile(
      "bad",
      `features: { ...base.features, month: { label: "M", unit: "count" } }`,
    );
    const run = usagekit("generate", "--catalog", bad, "--out", out);
    expect(run.code).toBe(1);
    expect(run.output).toContain("tiers.free.limits.month is missing");
    expect(() => readdirSync(out)).toThrow();
    const run2 = usagekit("generate", "--out", out);
    expect(run2.code).toBe(1);
    expect(run2.output).toContain("usage: usagekit generate --catalog <file>");
  });
});

describe("the usagekit command's catalog module", () => {
  it("is checked even when not made with defineCatalog, and --export picks the export", () => {
    const plain = join(work, "plain.ts");
    writeFileSync(
      plain,
      `import { catalog as base } from "@usagekit/db/catalog";
export const catalog = { ...base, tiers: { ...base.tiers, pro: { ...base.tiers.pro, limits: {} } } };
export { catalog as hostCatalog } from "${withQuizzes}";\n`,
    );
    const refused = usagekit("generate", "--catalog", plain, "--out", join(work, "plain"));
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("tiers.pro.limits.conversations is missing");
    expect(() => readdirSync(join(work, "plain"))).toThrow();
    const picked = join(work, "picked");
    const run = usagekit(
      "generate",
      "--catalog",
      plain,
      "--export",
      "hostCatalog",
      "--out",
      picked,
    );
    expect(run.code, run.output).toBe(0);
    expect(readFileSync(join(picked, "0012_catalog.sql"), "utf8")).toContain('"quizzes"');
  });
});

describe.each(kinds)("a host catalog's migrations on %s", (kind) => {
  const out = join(work, `host-${kind}`);
  let handle: Awaited<ReturnType<typeof createDb>> | undefined;
  let drop = async () => {};
  afterAll(async () => {
    await handle?.close();
    await drop();
  });
  let url = "";
  const open = async () => {
    await handle?.close();
    handle = undefined;
    if (kind === "postgres" && !url) {
      const fresh = await freshDatabase(DATABASE_URL!, "usagekit_generate");
      ({ url, drop } = fresh);
    }
    handle = await createDb(
      kind === "pglite"
        ? { dataDir: join(work, "pglite"), migrationsFolder: out }
        : { url, migrationsFolder: out },
    );
    return handle.db;
  };
  /** A statement on the database outside usagekit (no migrations run). */
  const raw = async (text: string) => {
    if (kind === "pglite") {
      const pg = await PGlite.create(join(work, "pglite"));
      await pg.exec(text);
      await pg.close();
    } else {
      const client = postgres(url, { max: 1, onnotice: () => {} });
      await client.unsafe(text);
      await client.end();
    }
  };
  const columns = async (table: string) =>
    (
      await queryRows<{ c: string }>(
        handle!.db,
        sql`SELECT column_name AS c FROM information_schema.columns
            WHERE table_schema = 'usagekit' AND table_name = ${table} ORDER BY column_name`,
      )
    ).map((r) => r.c);

  it("adds a feature's columns and a tier, applied by migrate; a second run writes nothing", async () => {
    // usagekit's own migrations first; dated after this machine's clock (a package built on a
    // machine whose clock is ahead): the host's migration must still come after them.
    expect(usagekit("generate", "--catalog", catalogFile("start", ""), "--out", out).code).toBe(0);
    const journalFile = join(out, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8"));
    journal.entries.at(-1).when = Date.now() + 1e9;
    writeFileSync(journalFile, JSON.stringify(journal));
    const first = usagekit("generate", "--catalog", withQuizzes, "--out", out);
    expect(first.code, first.output).toBe(0);
    expect(sqlFiles(out)).toEqual([
      "0000_usagekit.sql",
      "0001_limit_exceeded.sql",
      "0002_sessions_alerts.sql",
      "0003_grants.sql",
      "0004_partitioned_ledger.sql",
      "0005_retention.sql",
      "0006_simulate.sql",
      "0007_rollups.sql",
      "0008_refusal_month.sql",
      "0009_forecasts.sql",
      "0010_forecasts_next.sql",
      "0011_past_event_keys.sql",
      "0012_catalog.sql",
    ]);
    const again = usagekit("generate", "--catalog", withQuizzes, "--out", out);
    expect(again.output).toContain("is up to date");
    expect(sqlFiles(out)).toHaveLength(13);

    const db = await open();
    expect(await columns("usage_events")).toContain("quizzes");
    expect(await columns("monthly_usage")).toEqual(
      expect.arrayContaining(["quizzes", "overage_quizzes"]),
    );
    expect(await columns("lifetime_stats")).toContain("total_quizzes");
    await db.execute(sql`INSERT INTO usagekit.users (id, tier) VALUES ('ana', 'team')`);
    await db.execute(sql`INSERT INTO usagekit.payments (user_id, idempotency_key, tier, amount,
      paid_at, month) VALUES ('ana', 'p1', 'team', 49, now(), '2026-12-01')`);
    await expect(
      db.execute(sql`INSERT INTO usagekit.users (id, tier) VALUES ('ben', 'gold')`),
    ).rejects.toThrow();
    const [applied] = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM usagekit.__migrations`,
    );
    expect(applied).toEqual({ n: 13 });
  });

  it("drops what the catalog no longer has, in a new migration on the same database", async () => {
    const before = await columns("monthly_usage");
    const run = usagekit("generate", "--catalog", catalogFile("default-again", ""), "--out", out);
    expect(run.code, run.output).toBe(0);
    expect(sqlFiles(out).at(-1)).toBe("0013_catalog.sql");
    // Ana is on the team tier, which the catalog no longer has (and paid for it): the migration
    // is refused, whole.
    await expect(open()).rejects.toThrow();
    await raw(`UPDATE usagekit.users SET tier = 'pro' WHERE id = 'ana';
      UPDATE usagekit.payments SET tier = 'pro' WHERE user_id = 'ana'`);
    await open();
    const after = await columns("monthly_usage");
    expect(before.filter((c) => !after.includes(c))).toEqual(["overage_quizzes", "quizzes"]);
    expect(await columns("usage_events")).not.toContain("quizzes");
  });
});
