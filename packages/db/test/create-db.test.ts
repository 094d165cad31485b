import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, queryRows } from "../src";
import { dumpPglite } from "./pglite-dump";

const dataDir = mkdtempSync(join(tmpdir(), "usagekit-db-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const tables = async (handle: Awaited<ReturnType<typeof createDb>>) =>
  (
    await queryRows<{ name: string }>(
      handle.db,
      sql`SELECT c.relname AS name FROM pg_class c
        WHERE c.relnamespace = 'usagekit'::regnamespace AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition AND c.relname <> '__migrations' ORDER BY 1`,
    )
  ).map((t) => t.name);

describe("createDb on PGlite", () => {
  it("migrates a new data folder, keeps its data, and re-applying migrations is a no-op", async () => {
    const first = await createDb({ url: "", dataDir });
    expect(first.kind).toBe("pglite");
    expect(await tables(first)).toEqual([
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
    await first.db.execute(
      sql`INSERT INTO usagekit.users (id) VALUES ('00000000-0000-4000-8000-000000000001')`,
    );
    await first.close();

    const again = await createDb({ url: "", dataDir });
    const [row] = await queryRows<{ users: number; migrations: number }>(
      again.db,
      sql`SELECT (SELECT count(*) FROM usagekit.users)::int AS users,
        (SELECT count(*) FROM usagekit.__migrations)::int AS migrations`,
    );
    expect(row).toEqual({ users: 1, migrations: 12 });
    await again.close();
  });

  it("opens a copy of a dumped PGlite (loadDataDir): its rows, its migrations, none of its later writes", async () => {
    const template = await createDb({ url: "", dataDir: "memory://" });
    const users = (handle: Awaited<ReturnType<typeof createDb>>) =>
      queryRows<{ id: string }>(handle.db, sql`SELECT id FROM usagekit.users ORDER BY id`);
    await template.db.execute(sql`INSERT INTO usagekit.users (id) VALUES ('in-template')`);
    const copy = await createDb({
      url: "",
      dataDir: "memory://",
      loadDataDir: await dumpPglite(template),
    });
    await copy.db.execute(sql`INSERT INTO usagekit.users (id) VALUES ('in-copy')`);
    await template.db.execute(sql`INSERT INTO usagekit.users (id) VALUES ('later-in-template')`);
    expect(await users(copy)).toEqual([{ id: "in-copy" }, { id: "in-template" }]);
    expect(await users(template)).toEqual([{ id: "in-template" }, { id: "later-in-template" }]);
    const [applied] = await queryRows<{ n: number }>(
      copy.db,
      sql`SELECT count(*)::int AS n FROM usagekit.__migrations`,
    );
    expect(applied!.n).toBe(12);
    await Promise.all([copy.close(), template.close()]);
  });

  it("returns timestamptz values as Dates and numerics as exact strings", async () => {
    const handle = await createDb({ url: "", dataDir: "memory://" });
    const [row] = await queryRows<{ at: Date; money: string }>(
      handle.db,
      sql`SELECT '2026-03-08 01:30:00.25-05'::timestamptz AS at, 0.1::numeric(12, 2) + 0.2 AS money`,
    );
    expect(row!.at).toEqual(new Date("2026-03-08T06:30:00.250Z"));
    expect(row!.money).toBe("0.30");
    await handle.close();
  });
});
