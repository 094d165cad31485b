import { randomUUID } from "node:crypto";
import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller, createTRPCContext } from "../src";
import { freshDatabase } from "../../db/test/fresh-database";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const NOW = new Date("2026-11-15T12:00:00Z");

type PlanNode = {
  "Node Type": string;
  Schema?: string;
  "Relation Name"?: string;
  "Index Cond"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
};

/**
 * The lookups not by user that the write path may make: a user row by its id, and a reservation
 * by its id alone (settle and release name only the reservation: on Citus, an index lookup on
 * each shard).
 */
const BY_OWN_ID = new Set(["users_pkey", "reservations_id_idx"]);

/** Every scan of a usagekit table in a plan that is not an index lookup by the user. */
function crossUserScans(node: PlanNode, found: string[] = []): string[] {
  const scan = node["Node Type"];
  const index = node["Index Name"];
  if (scan === "Seq Scan" && node.Schema === "usagekit")
    found.push(`Seq Scan on ${node["Relation Name"]}`);
  if (
    /Index/.test(scan) &&
    index &&
    !BY_OWN_ID.has(index) &&
    !/user_id =/.test(node["Index Cond"] ?? "")
  )
    found.push(`${scan} of ${index} not by user_id (${node["Index Cond"] ?? "no condition"})`);
  for (const child of node.Plans ?? []) crossUserScans(child, found);
  return found;
}

/**
 * Ready for Citus, the write path: every statement a write runs touches only its user's rows.
 * Each statement the service ran during a workload of every kind of write is explained with its
 * own parameters, with sequential scans and hash and merge joins disabled (as a planner sees
 * tables of millions of rows: one shows only where no lookup by the user can serve it): no
 * usagekit table may be scanned, nor an index read without a condition.
 */
describe.runIf(DATABASE_URL)("the write path's plans", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let handle: DbHandle;
  const ran: { query: string; params: unknown[] }[] = [];
  beforeAll(async () => {
    database = await freshDatabase(DATABASE_URL!, "usagekit_plans");
    handle = await createDb({
      url: database.url,
      logger: { logQuery: (query, params) => ran.push({ query, params }) },
    });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it("touches one user's rows in every statement of every write", async () => {
    const api = createCaller(
      createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => NOW }),
    ).usage;
    const userId = randomUUID();
    ran.length = 0;
    await api.setUserPlan({ userId, tier: "plus", timezone: "Asia/Tokyo" });
    await api.recordUsage({ userId, idempotencyKey: "a", seconds: 60 });
    await api.recordUsage({ userId, idempotencyKey: "b", ankiExports: 1, enforceLimits: true });
    await api.recordUsage({ userId: randomUUID(), conversations: 1, enforceLimits: true });
    await api.recordUsageBatch({
      events: [
        { userId, idempotencyKey: "c", conversations: 1 },
        { userId: randomUUID(), conversations: 1 },
      ],
    });
    await api.recordUsageBatch({
      events: [{ userId, idempotencyKey: "d", enforceLimits: true, conversations: 1 }],
    });
    await api.recordPayment({
      userId,
      tier: "plus",
      amount: "9.99",
      paidAt: NOW,
      idempotencyKey: "p",
    });
    await api.grantUsage({
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 5,
      reason: "top-up",
    });
    await api.recordUsage({ userId, idempotencyKey: "e", ankiExports: 1, enforceLimits: true });
    const hold = await api.reserveUsage({
      userId,
      idempotencyKey: "r",
      expiresInSeconds: 600,
      seconds: 300,
    });
    await api.extendReservation({
      reservationId: hold.reservationId,
      idempotencyKey: "x",
      seconds: 60,
    });
    await api.settleReservation({ reservationId: hold.reservationId, seconds: 200 });
    const other = await api.reserveUsage({
      userId,
      idempotencyKey: "r2",
      expiresInSeconds: 600,
      seconds: 60,
    });
    await api.releaseReservation({ reservationId: other.reservationId });
    await api.correctUsage({
      userId,
      idempotencyKey: "fix",
      correctsKey: "a",
      reason: "refund",
      seconds: 60,
    });
    await api.eraseUser({ userId });

    const statements = new Map<string, unknown[]>();
    for (const { query, params } of ran)
      if (/usagekit\./.test(query) && !statements.has(query)) statements.set(query, params);
    expect(statements.size).toBeGreaterThan(15);
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      // Planned as on tables of millions of rows: a scan or a hash or merge join over a whole
      // table only where nothing else can serve the statement.
      await client`SET enable_seqscan = off`;
      await client`SET enable_hashjoin = off`;
      await client`SET enable_mergejoin = off`;
      const scans: string[] = [];
      for (const [query, params] of statements) {
        const [row] = await client.unsafe(`EXPLAIN (FORMAT JSON) ${query}`, params as never[]);
        const plan = (row as unknown as { "QUERY PLAN": [{ Plan: PlanNode }] })["QUERY PLAN"][0]
          .Plan;
        for (const s of crossUserScans(plan)) scans.push(`${s}: ${query.slice(0, 160)}`);
      }
      expect(scans).toEqual([]);
    } finally {
      await client.end();
    }
  }, 60_000);
});
