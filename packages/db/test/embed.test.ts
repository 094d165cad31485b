import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { pgTable, serial, text } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { migrate, queryRows, USAGEKIT_TABLES, usageEvents, users as usagekitUsers } from "../src";
import type { Db } from "../src";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
if (process.env.CI && !DATABASE_URL) throw new Error("CI must set DATABASE_URL");
const kinds = DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const);

// The host's own Drizzle schema: its own `users` (text ids) and `lessons`, in `public`.
const hostUsers = pgTable("users", { id: text().primaryKey(), email: text().notNull() });
const lessons = pgTable("lessons", {
  id: serial().primaryKey(),
  userId: text().notNull(),
  title: text().notNull(),
});
const hostSchema = { hostUsers, lessons };
const hostMigrations = join(import.meta.dirname, "fixtures", "host-migrations");
const legacyMigrations = join(import.meta.dirname, "..", "drizzle-legacy");

/** The host's own drizzle migrations: drizzle's defaults (`drizzle.__drizzle_migrations`). */
async function migrateHost(db: Db, folder = hostMigrations) {
  const { readMigrationFiles } = await import("drizzle-orm/migrator");
  const { dialect, session } = db as unknown as {
    dialect: { migrate(m: unknown, s: unknown, c: unknown): Promise<void> };
    session: unknown;
  };
  await dialect.migrate(readMigrationFiles({ migrationsFolder: folder }), session, {
    migrationsFolder: folder,
  });
}

/** A fresh database driven by a Drizzle instance of the host's own, with the host's schema. */
async function hostDb(kind: (typeof kinds)[number]) {
  if (kind === "pglite") {
    const client = await PGlite.create("memory://");
    const db = drizzlePglite({ client, schema: hostSchema, casing: "snake_case" });
    return { db, close: () => client.close() };
  }
  const name = `usagekit_embed_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(DATABASE_URL!);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 2, onnotice: () => {} });
  const db = drizzlePostgres({ client, schema: hostSchema, casing: "snake_case" });
  return {
    db,
    close: async () => {
      await client.end();
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

const rows = <T>(db: Db, query: SQL) => queryRows<T>(db, query);
/** Whether the relation named `name` (in any schema) is a partition: the ledger's months. */
const isPartition = (name: SQL) =>
  sql`EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = ${name} AND c.relispartition)`;
const tablesIn = async (db: Db, schema: string) =>
  (
    await rows<{ name: string }>(
      db,
      sql`SELECT tablename AS name FROM pg_tables WHERE schemaname = ${schema}
        AND NOT ${isPartition(sql`tablename`)} ORDER BY 1`,
    )
  ).map((r) => r.name);

/**
 * Every column, index and constraint of the `usagekit` schema, as text to compare — of the
 * tables, not of the ledger's monthly partitions (which months have one depends on the rows).
 */
const structure = async (db: Db) =>
  rows(
    db,
    sql`SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' '
             || is_nullable || ' ' || coalesce(column_default, '') AS def
          FROM information_schema.columns WHERE table_schema = 'usagekit'
            AND NOT ${isPartition(sql`table_name`)}
        UNION ALL SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'usagekit'
            AND NOT ${isPartition(sql`tablename`)}
        UNION ALL SELECT 'constraint', conrelid::regclass::text || ' ' || conname || ' '
             || pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'usagekit'::regnamespace
            AND NOT conrelid IN (SELECT oid FROM pg_class WHERE relispartition)
        UNION ALL SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
          WHERE pronamespace = 'usagekit'::regnamespace
        ORDER BY 1, 2`,
  );

/**
 * Every row of every usagekit table, in a stable order (as JSON text), without the `added`
 * columns (those the old layout did not have).
 */
const contents = async (
  db: Db,
  schema: string,
  added: string[] = [],
): Promise<Record<string, string[]>> =>
  Object.fromEntries(
    await Promise.all(
      USAGEKIT_TABLES.map(async (t) => {
        // `column` is left out of every table, `table.column` of that table only.
        const addedTo = (table: string) =>
          added.flatMap((a) =>
            !a.includes(".") ? [a] : a.startsWith(`${table}.`) ? [a.slice(table.length + 1)] : [],
          );
        return [
          t,
          (
            await rows<{ r: string }>(
              db,
              sql`SELECT (to_jsonb(t) - ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(addedTo(t))}::jsonb)))::text AS r
              FROM ${sql.raw(`${schema}.${t}`)} t ORDER BY 1`,
            )
          ).map((r) => r.r),
        ];
      }),
    ),
  );

describe.each(kinds)("usagekit inside a host's database on %s", (kind) => {
  const opened: { close(): Promise<unknown> }[] = [];
  afterAll(async () => {
    for (const h of opened) await h.close();
  });
  const open = async () => {
    const h = await hostDb(kind);
    opened.push(h);
    return h.db as unknown as Db;
  };

  it.each([
    ["host first", true],
    ["usagekit first", false],
  ])("coexists with the host's users table and migrations, %s", async (_, hostFirst) => {
    const db = await open();
    if (hostFirst) await migrateHost(db);
    await migrate(db);
    if (!hostFirst) await migrateHost(db);
    // Both again: no-ops.
    await migrate(db);
    await migrateHost(db);
    expect(await tablesIn(db, "public")).toEqual(["lessons", "users"]);
    expect(await tablesIn(db, "usagekit")).toEqual([
      "__migrations",
      "alerts",
      "daily_activity",
      "forecast_dirty",
      "forecast_next_state",
      "forecast_state",
      "forecasts",
      "forecasts_next",
      "grants",
      "ledger_retained",
      "lifetime_stats",
      "limit_refusals",
      "monthly_usage",
      "payments",
      "reservations",
      "retained_overage",
      "rollup_cohorts",
      "rollup_groups",
      "rollup_months",
      "rollup_seconds",
      "rollup_state",
      "usage_event_keys",
      "usage_event_keys_past",
      "usage_event_keys_past_filter",
      "usage_events",
      "users",
    ]);
    const [counts] = await rows<{ host: number; ours: number }>(
      db,
      sql`SELECT (SELECT count(*) FROM drizzle.__drizzle_migrations)::int AS host,
                 (SELECT count(*) FROM usagekit.__migrations)::int AS ours`,
    );
    expect(counts).toEqual({ host: 1, ours: 12 });
    // The host's Drizzle instance writes both: its own users and usagekit's, side by side.
    const hostTyped = db as unknown as ReturnType<typeof drizzlePglite<typeof hostSchema>>;
    await hostTyped.insert(hostUsers).values({ id: "user_2abc", email: "a@example.com" });
    await db.insert(usagekitUsers).values({ id: "user_2abc" });
    expect(await hostTyped.select().from(hostUsers)).toEqual([
      { id: "user_2abc", email: "a@example.com" },
    ]);
  });

  it("moves an installation from public (uuid ids) into usagekit without losing a row", async () => {
    const db = await open();
    // The old layout at 0003 (uuid user ids), in drizzle's default migrations table.
    const dir = mkdtempSync(join(tmpdir(), "usagekit-legacy-"));
    try {
      cpSync(legacyMigrations, dir, { recursive: true });
      const journal = JSON.parse(readFileSync(join(dir, "meta/_journal.json"), "utf8")) as {
        entries: { tag: string }[];
      };
      journal.entries = journal.entries.filter((e) => e.tag < "0004");
      writeFileSync(join(dir, "meta/_journal.json"), JSON.stringify(journal));
      await migrateHost(db, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const u = "6f1c2a4e-0000-4000-8000-000000000001";
    await db.execute(
      sql`INSERT INTO public.users (id, tier, timezone) VALUES (${u}, 'plus', 'Europe/Berlin')`,
    );
    await db.execute(sql`INSERT INTO public.usage_events (user_id, idempotency_key, occurred_at, month, day, tier, seconds)
      VALUES (${u}, 'k1', '2026-10-05T10:00:00Z', '2026-10-01', '2026-10-05', 'plus', 600),
             (${u}, NULL, '2026-11-02T10:00:00Z', '2026-11-01', '2026-11-02', 'plus', 60)`);
    await db.execute(sql`INSERT INTO public.monthly_usage (user_id, month, period_start, period_end, seconds, tier_when_used, last_event_at)
      VALUES (${u}, '2026-10-01', '2026-09-30T22:00:00Z', '2026-10-31T23:00:00Z', 600, 'plus', '2026-10-05T10:00:00Z'),
             (${u}, '2026-11-01', '2026-10-31T23:00:00Z', '2026-11-30T23:00:00Z', 60, 'plus', '2026-11-02T10:00:00Z')`);
    await db.execute(
      sql`INSERT INTO public.lifetime_stats (user_id, total_seconds, days_active, total_revenue) VALUES (${u}, 660, 2, 9.99)`,
    );
    await db.execute(
      sql`INSERT INTO public.daily_activity (user_id, day, events) VALUES (${u}, '2026-10-05', 1), (${u}, '2026-11-02', 1)`,
    );
    await db.execute(sql`INSERT INTO public.payments (user_id, idempotency_key, tier, amount, paid_at, month)
      VALUES (${u}, 'pay-1', 'plus', 9.99, '2026-10-01T08:00:00Z', '2026-10-01')`);
    await db.execute(sql`INSERT INTO public.limit_refusals (user_id, idempotency_key, occurred_at, tier, feature, used, "limit", requested)
      VALUES (${u}, 'r1', '2026-11-02T11:00:00Z', 'plus', 'ankiExports', 50, 50, 1)`);
    const before = await contents(db, "public");

    await migrate(db);
    await migrate(db); // a no-op the second time

    // Every row kept; the columns added since (a user's holds, a correction's key and reason,
    // what an event took from grants and what they covered, a payment's kind) hold their defaults,
    // and the refusal has the local month it was refused in (in the user's zone, UTC).
    const added = [
      "holds",
      "corrects_key",
      "reason",
      "granted",
      "covered",
      "kind",
      "limit_refusals.month",
    ];
    expect(await contents(db, "usagekit", added)).toEqual(before);
    expect(
      await rows(
        db,
        sql`SELECT to_char(month, 'YYYY-MM-DD') AS month FROM usagekit.limit_refusals`,
      ),
    ).toEqual([{ month: "2026-11-01" }]);
    expect(Object.values(before).every((r) => r.length > 0)).toBe(true);
    for (const t of USAGEKIT_TABLES) expect(await tablesIn(db, "public")).not.toContain(t);
    // The same structure as a fresh installation, and the ledger's id sequence goes on.
    const fresh = await open();
    await migrate(fresh);
    expect(await structure(db)).toEqual(await structure(fresh));
    await db.insert(usageEvents).values({
      userId: "user_2abc",
      occurredAt: new Date("2026-11-03T10:00:00Z"),
      month: "2026-11-01",
      day: "2026-11-03",
      tier: "free",
      seconds: 1,
    });
    const ids = await rows<{ id: number }>(
      db,
      sql`SELECT id::int FROM usagekit.usage_events ORDER BY id`,
    );
    expect(ids.map((r) => r.id)).toEqual([1, 2, 3]);
  });
});
