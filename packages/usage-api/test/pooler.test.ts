import { createDb } from "@usagekit/db";
import type { Db, DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller, createTRPCContext, defaultTiers, isRefusal } from "../src";
import { findDrift } from "../src/record/reconcile";
import { freshDatabase } from "../../db/test/fresh-database";
import { startServer } from "./process";
import { runsOutOf } from "./helpers";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
/** PgBouncer in transaction mode in front of DATABASE_URL's server (`.ci/run` starts one). */
const PGBOUNCER_URL = process.env.PGBOUNCER_URL || undefined;
const NOW = new Date("2026-11-15T12:00:00Z");
const TOKEN = "pooler-test-service-token-0123456789";

/** The contract's concurrency, idempotency, refusal and host-transaction rules through PgBouncer. */
describe.runIf(DATABASE_URL && PGBOUNCER_URL)("through PgBouncer in transaction mode", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pooled: string;
  let handle: DbHandle;
  beforeAll(async () => {
    database = await freshDatabase(DATABASE_URL!, "usagekit_pooler");
    const url = new URL(PGBOUNCER_URL!);
    url.pathname = new URL(database.url).pathname;
    pooled = url.toString();
    handle = await createDb({ url: pooled, pooler: "transaction", max: 12 });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });
  const api = () =>
    createCaller(createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => NOW }));
  const outcome = (p: Promise<unknown>) =>
    p.then(
      () => "ok",
      (e: { code?: string }) => e.code ?? String(e),
    );

  it("lets exactly R of N concurrent enforced calls through, and records a key once", async () => {
    const userId = "pooled-capped";
    await api().usage.recordUsage({ userId, conversations: 10 });
    const enforced = await Promise.all(
      Array.from({ length: 50 }, () =>
        outcome(api().usage.recordUsage({ userId, conversations: 1, enforceLimits: true })),
      ),
    );
    expect(enforced.filter((o) => o === "ok")).toHaveLength(10);
    expect(enforced.filter((o) => o !== "ok")).toEqual(Array(40).fill("FORBIDDEN"));
    const keyed = await Promise.all(
      Array.from({ length: 20 }, () =>
        api().usage.recordUsage({ userId: "pooled-key", idempotencyKey: "once", seconds: 30 }),
      ),
    );
    expect(keyed.filter((r) => r.recorded)).toHaveLength(1);
    expect((await api().usage.getCurrentUsage({ userId: "pooled-key" })).seconds).toBe(30);
    // Grouped single events and a batch with enforced events.
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        api().usage.recordUsage({ userId: `pooled-${i % 12}`, seconds: 10 }),
      ),
    );
    const batch = await api().usage.recordUsageBatch({
      events: [
        { userId: "pooled-capped", conversations: 1, enforceLimits: true },
        { userId: "pooled-0", seconds: 5, enforceLimits: true },
      ],
    });
    expect(batch.results.map((r) => r.status)).toEqual(["refused", "recorded"]);
    expect((await api().usage.getCurrentUsage({ userId: "pooled-0" })).seconds).toBe(55);
    expect(await findDrift(handle.db, { tiers: defaultTiers })).toEqual([]);
    // The current month's candidates: the kept forecasts refreshed through the pooler (a table
    // of the refresh's own transaction), reports running side by side. pooled-capped used its 20
    // conversations: Free's limit is reached today.
    const month = NOW.toISOString().slice(0, 7);
    const reports = await Promise.all(
      Array.from({ length: 4 }, () => api().analytics.upgradeCandidates({ month })),
    );
    for (const { candidates } of reports)
      expect(candidates.find((c) => c.userId === "pooled-capped")?.runsOut).toEqual(
        runsOutOf(await api().usage.getForecast({ userId: "pooled-capped" })),
      );
    expect(reports[0]!.candidates.find((c) => c.userId === "pooled-capped")?.runsOut).toMatchObject(
      [{ feature: "conversations", limit: 20 }],
    );
  });

  it("refuses inside the host's transaction on its own pooled client, which goes on", async () => {
    // The host's own client, as postgres.js documents it for PgBouncer: prepare: false.
    const client = postgres(pooled, { prepare: false, max: 4, onnotice: () => {} });
    const hostDb = drizzle({ client }) as unknown as Db;
    try {
      await hostDb.execute(
        sql`CREATE TABLE IF NOT EXISTS public.lessons (id serial, user_id text)`,
      );
      const userId = "pooled-host";
      const host = (db: Db) =>
        createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => NOW }));
      await host(hostDb).usage.recordUsage({ userId, ankiExports: 3 });
      const refusal = await hostDb.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO public.lessons (user_id) VALUES (${userId})`);
        const error = await host(tx as unknown as Db)
          .usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true })
          .then(
            () => null,
            (e: unknown) => e,
          );
        await tx.execute(sql`INSERT INTO public.lessons (user_id) VALUES (${userId})`);
        return error;
      });
      expect(isRefusal(refusal)).toBe(true);
      const [lessons] =
        await client`SELECT count(*)::int AS n FROM public.lessons WHERE user_id = ${userId}`;
      expect(lessons!.n).toBe(2);
      expect((await host(hostDb).usage.getCurrentUsage({ userId })).ankiExportsUsed).toBe(3);
    } finally {
      await client.end();
    }
  });

  it("runs the standalone server behind it (DATABASE_POOLER=transaction)", async () => {
    const server = await startServer({
      DATABASE_URL: pooled,
      DATABASE_POOLER: "transaction",
      USAGE_SERVICE_TOKEN: TOKEN,
    });
    try {
      const post = (input: unknown) =>
        fetch(`${server.url}/usage.recordUsage`, {
          method: "POST",
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
          body: JSON.stringify({ json: input }),
        }).then((r) => r.status);
      const statuses = await Promise.all(
        Array.from({ length: 40 }, () =>
          post({ userId: "pooled-server", ankiExports: 1, enforceLimits: true }),
        ),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses.filter((s) => s === 403)).toHaveLength(37);
      expect((await fetch(`${new URL(server.url).origin}/healthz`)).status).toBe(200);
    } finally {
      server.kill("SIGTERM");
      await server.exited();
    }
  }, 60_000);
});
