import { randomUUID } from "node:crypto";
import { createDb, queryRows } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { freshDatabase } from "../../db/test/fresh-database";
import { startServer } from "./process";
import type { ServerProcess } from "./process";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const TOKEN = "two-servers-service-token-0123456789";

/**
 * A stateless API tier: two standalone server processes on one database keep every guarantee —
 * idempotency, enforcement with grants, holds, alerts once — with calls spread over both.
 */
describe.runIf(DATABASE_URL)("two server processes on one database", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let handle: DbHandle;
  let servers: ServerProcess[] = [];
  beforeAll(async () => {
    database = await freshDatabase(DATABASE_URL!, "usagekit_two");
    handle = await createDb({ url: database.url });
    const env = { DATABASE_URL: database.url, USAGE_SERVICE_TOKEN: TOKEN };
    servers = await Promise.all([startServer(env), startServer(env)]);
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) s.kill("SIGTERM");
    await Promise.all(servers.map((s) => s.exited()));
    await handle?.close();
    await database?.drop();
  });
  /** Call `i` goes to server `i % 2`: the HTTP status and the answer. */
  const call = async (i: number, procedure: string, input: unknown) => {
    const response = await fetch(`${servers[i % 2]!.url}/usage.${procedure}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ json: input }),
    });
    const body = (await response.json()) as {
      result?: { data: { json: Record<string, unknown> } };
    };
    return { status: response.status, data: body.result?.data.json };
  };
  const count = async (query: ReturnType<typeof sql>) =>
    (await queryRows<{ n: number }>(handle.db, query))[0]!.n;

  it("records a key once, grants and limits exactly, holds across both, alerts once", async () => {
    const userId = randomUUID();
    // One key sent 20 times through both: one event.
    const same = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i, "recordUsage", { userId, idempotencyKey: "once", conversations: 1 }),
      ),
    );
    expect(same.filter((r) => r.data?.recorded === true)).toHaveLength(1);
    expect(same.filter((r) => r.data?.duplicate === true)).toHaveLength(19);
    expect(
      await count(
        sql`SELECT count(*)::int AS n FROM usagekit.usage_events WHERE user_id = ${userId}`,
      ),
    ).toBe(1);

    // Free gives 3 exports; a grant 2 more: exactly 5 of 16 enforced exports through both.
    await call(0, "grantUsage", {
      userId,
      idempotencyKey: "g",
      feature: "ankiExports",
      amount: 2,
      reason: "top-up",
    });
    const exports = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        call(i, "recordUsage", { userId, ankiExports: 1, enforceLimits: true }),
      ),
    );
    expect(exports.filter((r) => r.status === 200)).toHaveLength(5);
    expect(exports.filter((r) => r.status === 403)).toHaveLength(11);
    expect(
      await count(sql`SELECT remaining::int AS n FROM usagekit.grants WHERE user_id = ${userId}`),
    ).toBe(0);
    // Each threshold of the exports' limit raised once, whichever server wrote it.
    const alerts = await queryRows<{ threshold: number; n: number }>(
      handle.db,
      sql`SELECT threshold, count(*)::int AS n FROM usagekit.alerts
        WHERE user_id = ${userId} AND feature = 'ankiExports' GROUP BY threshold ORDER BY 1`,
    );
    expect(alerts).toEqual([
      { threshold: 80, n: 1 },
      { threshold: 100, n: 1 },
    ]);

    // A hold made through one server counts in the other's enforced writes: 1,500 of the 1,800
    // seconds held, so of 8 concurrent 100-second writes exactly 3 fit.
    const hold = await call(0, "reserveUsage", {
      userId,
      idempotencyKey: "call",
      expiresInSeconds: 600,
      seconds: 1500,
    });
    expect(hold.status).toBe(200);
    const practice = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(i, "recordUsage", { userId, seconds: 100, enforceLimits: true }),
      ),
    );
    expect(practice.filter((r) => r.status === 200)).toHaveLength(3);
    const drift = await findDrift(handle.db, { tiers: defaultTiers });
    expect(drift.filter((d) => JSON.stringify(d).includes(userId))).toEqual([]);
  }, 60_000);
});
