import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, queryRows } from "../src";

/**
 * Ready for Citus: every table is distributable by user, so every primary key and unique index
 * of a table about users must lead with `user_id` (`users`: its `id`) — Citus enforces
 * uniqueness only within a shard. Read from PostgreSQL's own catalog after the migrations.
 */
describe("the schema, distributed by user", () => {
  it("leads every primary key and unique index with the user", async () => {
    const { db, close } = await createDb({ url: "", dataDir: "memory://" });
    try {
      const indexes = await queryRows<{ table: string; index: string; first: string }>(
        db,
        sql`SELECT c.relname AS "table", i.relname AS "index", a.attname AS "first"
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
        WHERE n.nspname = 'usagekit' AND (x.indisunique OR x.indisprimary)
          AND c.relname <> '__migrations' AND NOT c.relispartition
        ORDER BY 1, 2`,
      );
      // Something to check: every table has its primary key here (the partitioned ledger's
      // months have the ledger's own indexes), and every table is about a user (it has
      // `user_id`) but the rollups' cross-user aggregates, which hold no user id (reference
      // tables in a cluster: docs/scale-out.md).
      const tables = await queryRows<{ table: string; user: boolean }>(
        db,
        sql`SELECT c.relname AS "table", EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
            AND a.attname = 'user_id' AND NOT a.attisdropped) AS "user"
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'usagekit' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname <> '__migrations'`,
      );
      expect(new Set(indexes.map((i) => i.table))).toEqual(new Set(tables.map((t) => t.table)));
      expect(
        tables
          .filter((t) => !t.user && t.table !== "users")
          .map((t) => t.table)
          .sort(),
      ).toEqual([
        "forecast_next_state",
        "forecast_state",
        "rollup_cohorts",
        "rollup_groups",
        "rollup_seconds",
        "rollup_state",
      ]);
      const userKeyed = new Set(tables.filter((t) => t.user).map((t) => t.table));
      const wrong = indexes.filter((i) =>
        i.table === "users" ? i.first !== "id" : userKeyed.has(i.table) && i.first !== "user_id",
      );
      expect(wrong).toEqual([]);
    } finally {
      await close();
    }
  });
});
