import { createTRPCClient, httpLink } from "@trpc/client";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { openTestDb } from "./db";
import { startServer } from "./process";
import type { ServerProcess } from "./process";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const TOKEN = "sessions-killed-token-0123456789";
const LOAD_MS = 26_000;
/** Sessions the test must have killed under load to mean anything. */
const KILLS = 200;
const WRITERS = 16;

/**
 * What a failover, a pooler restart or an idle-session timeout does to the standalone server:
 * half of its PostgreSQL sessions terminated (`pg_terminate_backend`, 57P01) every ~15 ms for
 * 26 s while 16 writers send keyless events, which group commit writes together. The server
 * stays up; no event is counted twice (each writer's amounts are unique, so a second ledger row
 * of one is a double count); every acknowledged event is in the ledger; nothing drifts; and once
 * the killing stops, every call is answered.
 */
describe.runIf(DATABASE_URL)("sessions killed under load (PostgreSQL)", () => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let server: ServerProcess;
  beforeAll(async () => {
    db = await openTestDb("postgres");
    server = await startServer({ DATABASE_URL: db.url!, USAGE_SERVICE_TOKEN: TOKEN });
  });
  afterAll(async () => {
    server?.kill("SIGKILL");
    await db?.close();
  });

  it("survives, counts nothing twice, loses nothing acknowledged and serves the next calls", async () => {
    const client = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: server.url,
          transformer: superjson,
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
      ],
    });
    const dbName = new URL(db.url!).pathname.slice(1);
    const killer = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
    let killing = true;
    let killed = 0;
    const killLoop = (async () => {
      while (killing) {
        const rows = await killer`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = ${dbName} AND pid <> pg_backend_pid() AND random() < 0.5`;
        killed += rows.length;
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const acknowledged = new Set<string>();
    const bodies: string[] = [];
    // The load runs LOAD_MS, and on until more than KILLS sessions were killed (a slow machine
    // kills fewer a second), at most four times as long.
    const until = Date.now() + LOAD_MS;
    const hardStop = Date.now() + 4 * LOAD_MS;
    const loading = () => Date.now() < until || (killed <= KILLS && Date.now() < hardStop);
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = 1; loading(); n++) {
          try {
            await client.usage.recordUsage.mutate({ userId: `writer-${w}`, seconds: n });
            acknowledged.add(`writer-${w} ${n}`);
          } catch (e) {
            bodies.push(
              JSON.stringify({
                message: (e as Error).message,
                data: (e as { data?: unknown }).data,
              }),
            );
          }
        }
      }),
    );
    killing = false;
    await killLoop;
    await killer.end();
    expect(killed).toBeGreaterThan(KILLS);
    expect(server.child.exitCode, server.output().slice(-3000)).toBeNull();
    expect(bodies.length).toBeGreaterThan(0);
    // What failed was masked: no SQL, driver message, table or column names.
    for (const body of bodies) {
      expect(body).toMatch(/internal server error \(errorId [0-9a-f-]{36}\)/);
      expect(body).not.toMatch(
        /terminating connection|ECONN|CONNECTION_CLOSED|usage_events|monthly_usage|SELECT|INSERT/,
      );
    }

    // Once the killing has stopped, every call is answered.
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: WRITERS }, (_, w) =>
          client.usage.recordUsage.mutate({ userId: `after-${w}`, seconds: round + 1 }),
        ),
      );
    }

    const ledger = await queryRows<{ event: string; rows: number }>(
      db.db,
      sql`SELECT user_id || ' ' || seconds AS "event", count(*)::int AS "rows"
        FROM usagekit.usage_events WHERE user_id LIKE 'writer-%' GROUP BY 1`,
    );
    expect(ledger.filter((r) => r.rows > 1)).toEqual([]);
    const recorded = new Set(ledger.map((r) => r.event));
    expect([...acknowledged].filter((e) => !recorded.has(e))).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(500);
    expect(await findDrift(db.db, { tiers: defaultTiers })).toEqual([]);
  }, 120_000);
});
