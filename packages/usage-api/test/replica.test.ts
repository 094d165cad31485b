import { randomUUID } from "node:crypto";
import { createDb, queryRows } from "@usagekit/db";
import type { Db, DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller, createTRPCContext, defaultTiers, refreshRollups } from "../src";
import { createPrivateCluster, postgresBin } from "./pg-cluster";
import type { PrivateCluster } from "./pg-cluster";

const NOW = new Date("2026-11-15T12:00:00Z");
/** Like the fault suite: needs PostgreSQL's own tools (`initdb`, `pg_basebackup`), as in CI. */
const runReplica = Boolean(process.env.DATABASE_URL) && postgresBin() !== undefined;

/** Transactions committed in the database so far, by the server's own statistics. */
async function commits(url: string): Promise<number> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await client`SELECT xact_commit::float8 AS n FROM pg_stat_database
      WHERE datname = current_database()`;
    return (row as { n: number }).n;
  } finally {
    await client.end();
  }
}

/**
 * A read replica: `createDb({ url, readUrl })` sends the analytics to a streaming replica made on
 * this machine (`pg_basebackup -R` from a private primary), never a write or a limit check; when
 * the replica is down, the analytics are answered by the primary.
 */
describe.runIf(runReplica)("analytics on a streaming replica", () => {
  let primary: PrivateCluster;
  let replica: PrivateCluster;
  beforeAll(async () => {
    primary = await createPrivateCluster();
    replica = await createPrivateCluster({ replicaOf: primary });
  }, 120_000);
  afterAll(() => {
    replica?.destroy();
    primary?.destroy();
  });

  const open = () => createDb({ url: primary.url, readUrl: replica.url, max: 2 });
  const api = (handle: DbHandle) =>
    createCaller(
      createTRPCContext({
        db: handle.db,
        ...(handle.readDb && { readDb: handle.readDb }),
        auth: { type: "service" },
        now: () => NOW,
      }),
    );
  /** Until the replica has replayed what the primary holds of the ledger and its rollups. */
  async function caughtUp(primaryDb: Db, replicaDb: Db) {
    // Until then the replica may not even have replayed the migrations: not caught up either.
    const count = async (db: Db) =>
      queryRows<{ n: string }>(
        db,
        sql`SELECT (SELECT count(*) FROM usagekit.usage_events) || '/' ||
          (SELECT done_id FROM usagekit.rollup_state) AS n`,
      ).then(
        (rows) => rows[0]!.n,
        () => "not replayed yet",
      );
    const want = await count(primaryDb);
    for (let i = 0; i < 100 && (await count(replicaDb)) !== want; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await count(replicaDb)).toBe(want);
  }

  it("answers the analytics on the replica, writes and limits on the primary, and falls back", async () => {
    let handle = await open();
    expect(handle.readDb).toBeDefined();
    const userId = randomUUID();
    await api(handle).usage.recordUsage({ userId, conversations: 2, seconds: 600 });
    // The reports a replica answers read the rollups as the primary last folded them (the
    // standalone server folds every 10 s; here, at once).
    expect(await refreshRollups(handle.db, { tiers: defaultTiers })).toMatchObject({
      behind: false,
    });
    await caughtUp(handle.db, handle.readDb!);
    await handle.close(); // connections closed: their statistics are flushed

    // The reports, through clients that run nothing else (createDb would migrate the primary).
    const clients = [primary.url, replica.url].map((u) =>
      postgres(u, { max: 2, onnotice: () => {} }),
    );
    const [onPrimary, onReplica] = clients.map((c) =>
      drizzle({ client: c!, casing: "snake_case" }),
    );
    const reporter = createCaller(
      createTRPCContext({
        db: onPrimary!,
        readDb: onReplica!,
        auth: { type: "service" },
        now: () => NOW,
      }),
    );
    const before = { primary: await commits(primary.url), replica: await commits(replica.url) };
    const month = "2026-11";
    for (let i = 0; i < 10; i++) {
      const adoption = await reporter.analytics.featureAdoption({ month });
      expect(adoption.tiers.find((t) => t.tier === "free")).toMatchObject({ activeUsers: 1 });
    }
    await Promise.all(clients.map((c) => c.end())); // their statistics are flushed as they exit
    const after = { primary: await commits(primary.url), replica: await commits(replica.url) };
    // Ten reports on the replica (each a read transaction its statistics count); on the primary
    // nothing but the reads of these counters.
    expect(after.replica - before.replica).toBeGreaterThanOrEqual(10);
    expect(after.primary - before.primary).toBeLessThan(5);

    // Writes and limit checks go to the primary: the replica refuses writes, and they succeed.
    handle = await open();
    await api(handle).usage.recordUsage({ userId, ankiExports: 3, enforceLimits: true });
    const check = await api(handle).usage.canUseFeature({ userId, feature: "ankiExports" });
    expect(check).toMatchObject({ used: 3, allowed: false });

    // The replica goes down: the analytics are answered by the primary, and say the same.
    replica.crash();
    const fallback = await api(handle).analytics.featureAdoption({ month });
    expect(fallback.tiers.find((t) => t.tier === "free")).toMatchObject({ activeUsers: 1 });
    await handle.close();
    replica.start();
  }, 120_000);
});
