import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, queryRows } from "../src";
import type { DbHandle } from "../src";
import { freshDatabase } from "./fresh-database";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const kinds = DATABASE_URL ? (["pglite", "postgres"] as const) : (["pglite"] as const);

async function open(kind: "pglite" | "postgres"): Promise<DbHandle> {
  if (kind === "pglite") return createDb({ url: "", dataDir: "memory://" });
  const database = await freshDatabase(DATABASE_URL!, "usagekit_query");
  const handle = await createDb({ url: database.url });
  return { ...handle, close: () => handle.close().then(database.drop) };
}

describe.each(kinds)("queryRows on %s", (kind) => {
  let handle: DbHandle;
  beforeAll(async () => (handle = await open(kind)));
  afterAll(() => handle.close());

  it("turns timestamptz columns into Dates by their type, and leaves text that looks like one", async () => {
    const [row] = await queryRows<Record<string, unknown>>(
      handle.db,
      sql`SELECT '2026-11-01 00:00:00+01'::text AS "looksLikeOne", '2026-11-01 00:00:00+01'::timestamptz AS "at",
        NULL::timestamptz AS "none", '2026-11-01'::date::text AS "day"`,
    );
    expect(row).toEqual({
      looksLikeOne: "2026-11-01 00:00:00+01",
      at: new Date("2026-10-31T23:00:00Z"),
      none: null,
      day: "2026-11-01",
    });
  });

  it("runs inside a transaction, through drizzle's session API (fails if drizzle changes it)", async () => {
    // The two private parts of Drizzle that src/drizzle-internals.ts uses.
    expect(typeof handle.db._.session.prepareQuery).toBe("function");
    const internals = handle.db as unknown as { dialect?: { migrate?: unknown }; session?: object };
    expect(typeof internals.dialect?.migrate).toBe("function");
    expect(internals.session).toBeDefined();
    const rows = await handle.db.transaction((tx) =>
      queryRows<{ n: number }>(tx as never, sql`SELECT 41 + 1 AS n`),
    );
    expect(rows).toEqual([{ n: 42 }]);
  });
});
