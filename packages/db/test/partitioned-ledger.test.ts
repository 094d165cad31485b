import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import {
  createDb,
  defaultMigrationsFolder,
  ensureLedgerPartitions,
  migrate,
  queryRows,
} from "../src";
import type { Db, DbHandle } from "../src";
import { freshDatabase } from "./fresh-database";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
if (process.env.CI && !DATABASE_URL) throw new Error("CI must set DATABASE_URL");
const kinds = DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const);

/** usagekit's migrations up to the one before the partitioned ledger, in a folder of their own. */
function migrationsBeforePartitions() {
  const dir = mkdtempSync(join(tmpdir(), "usagekit-0003-"));
  cpSync(defaultMigrationsFolder(), dir, { recursive: true });
  const file = join(dir, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(file, "utf8")) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.tag < "0004");
  writeFileSync(file, JSON.stringify(journal));
  return dir;
}

const one = async <T>(db: Db, query: ReturnType<typeof sql>) => (await queryRows<T>(db, query))[0]!;

/** The whole ledger as one digest (every column of every row, in id order), and its size. */
const ledger = (db: Db) =>
  one<{ rows: number; digest: string }>(
    db,
    sql`SELECT count(*)::int AS rows, md5(coalesce(string_agg(to_jsonb(e)::text, ',' ORDER BY id), '')) AS digest
      FROM usagekit.usage_events e`,
  );

/** Rows not in the partition of their own month (the default partition counts as wrong). */
const misplaced = (db: Db) =>
  one<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM usagekit.usage_events
      WHERE tableoid::regclass::text <> 'usagekit.usage_events_' || to_char(month, 'YYYY_MM')`,
  );

describe.each(kinds)("the month-partitioned ledger on %s", (kind) => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });
  async function open(migrationsFolder?: string): Promise<DbHandle> {
    if (kind === "pglite") {
      const h = await createDb({ url: "", dataDir: "memory://", migrationsFolder });
      cleanup.push(h.close);
      return h;
    }
    const database = await freshDatabase(DATABASE_URL!, "usagekit_partitions");
    cleanup.push(database.drop);
    const h = await createDb({ url: database.url, max: 2, migrationsFolder });
    cleanup.push(h.close);
    return h;
  }

  it("converts a populated installation without losing, changing or moving a row's id", async () => {
    const folder = migrationsBeforePartitions();
    const { db } = await open(folder).finally(() => rmSync(folder, { recursive: true }));
    // 300 users × 20 months (one of them years back), keyed and keyless events, in SQL.
    await db.execute(sql`
      INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
        conversations, seconds, granted)
      SELECT 'u' || (g % 300), CASE WHEN g % 3 = 0 THEN NULL ELSE 'k' || g END, at,
        date_trunc('month', at)::date, at::date, 'free', 1, g % 600,
        CASE WHEN g % 7 = 0 THEN '{"seconds": 5}'::jsonb END
      FROM (SELECT g, CASE WHEN g % 20 = 0 THEN timestamptz '2019-03-10 10:00+00'
          ELSE timestamptz '2025-05-01 00:00+00' + make_interval(months => g % 19, hours => g % 500)
        END AS at FROM generate_series(1, 6000) g) x`);
    const before = await ledger(db);
    const { last } = await one<{ last: number }>(
      db,
      sql`SELECT max(id)::int AS last FROM usagekit.usage_events`,
    );
    expect(before.rows).toBe(6000);

    await migrate(db);
    await migrate(db); // the second time a no-op

    expect(
      await one(
        db,
        sql`SELECT relkind::text AS kind FROM pg_class WHERE oid = 'usagekit.usage_events'::regclass`,
      ),
    ).toEqual({ kind: "p" });
    expect(await ledger(db)).toEqual(before);
    expect(await misplaced(db)).toEqual({ n: 0 });
    // A partition for every month held (2019-03 too), none for the years between.
    const months = await queryRows<{ name: string }>(
      db,
      sql`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usagekit.usage_events'::regclass AND c.relname < 'usage_events_2025' ORDER BY 1`,
    );
    expect(months.map((m) => m.name)).toEqual(["usage_events_2019_03"]);
    // The id sequence goes on, and a key stays unique within its month.
    const insert = (key: string, month: string) =>
      db.execute(sql`INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier)
        VALUES ('u1', ${key}, ${`${month.slice(0, 8)}02T00:00:00Z`}::timestamptz, ${month}::date,
          ${`${month.slice(0, 8)}02`}::date, 'free')`);
    await insert("fresh-key", "2025-06-01");
    expect(await one(db, sql`SELECT max(id)::int AS id FROM usagekit.usage_events`)).toEqual({
      id: last + 1,
    });
    await expect(insert("k1", "2025-06-01")).rejects.toThrow();
  });

  it("keeps an event of a month without a partition, and moves it into one when it is made", async () => {
    const { db } = await open();
    const at = "1995-06-10T12:00:00Z";
    await db.execute(sql`INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier, seconds)
      VALUES ('u1', 'old', ${at}::timestamptz, '1995-06-01', '1995-06-10', 'free', 30)`);
    const where = () =>
      one<{ part: string }>(
        db,
        sql`SELECT tableoid::regclass::text AS part FROM usagekit.usage_events WHERE idempotency_key = 'old'`,
      );
    expect(await where()).toEqual({ part: "usagekit.usage_events_default" });
    expect(
      await one(
        db,
        sql`SELECT usagekit.ensure_ledger_partitions('1995-05-01', '1995-07-01') AS made`,
      ),
    ).toEqual({ made: 3 });
    expect(await where()).toEqual({ part: "usagekit.usage_events_1995_06" });
    expect(
      await one(db, sql`SELECT count(*)::int AS n FROM usagekit.usage_events_default`),
    ).toEqual({
      n: 0,
    });
    // Every start keeps a year ahead: nothing is left to make.
    expect(await ensureLedgerPartitions(db)).toBe(0);
  });
});
