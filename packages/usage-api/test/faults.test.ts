import { createDb } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { monthlyUsage, usageEvents } from "@usagekit/db/schema";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { newUserId } from "./db";
import { createPrivateCluster, postgresBin } from "./pg-cluster";
import type { PrivateCluster } from "./pg-cluster";
import { startPgliteServer, startServer } from "./process";

const TOKEN = "fault-test-service-token-0123456789";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FREE_SECONDS = defaultTiers.free.seconds.limit!;
const CRASHES = 3;

interface Load {
  /** Keys the server acknowledged as recorded (or duplicate: recorded by an earlier attempt). */
  acked: Map<string, { userId: string; seconds: number }>;
  refused: Set<string>;
  /** Failed attempts (5xx, dropped connections), each retried with the same key. */
  failures: number;
  /** Bodies of failed answers, to check they leak nothing. */
  errorBodies: string[];
  /** Answers other than 200, a refusal or a 5xx. */
  unexpected: string[];
  /** When each acknowledgement arrived. */
  ackTimes: number[];
  stop(): Promise<void>;
}

/** The refusal a 403 body carries (`data.limitExceeded`, non-null, with its four fields), or null. */
function refusalOf(text: string) {
  const data = (JSON.parse(text) as { error?: { json?: { data?: { limitExceeded?: unknown } } } })
    .error?.json?.data;
  const refusal = data?.limitExceeded as Record<string, unknown> | null | undefined;
  return refusal && ["feature", "used", "limit", "requested"].every((k) => k in refusal)
    ? refusal
    : null;
}

/** What no answer may carry: SQL, parameters, a stack, a driver's message, table or column names. */
const LEAKS =
  /select|insert|failed query|params|stack|\.ts:|ECONN|terminating connection|CONNECTION_|57P0|usagekit\.|usage_events|monthly_usage|lifetime_stats|daily_activity|user_id|idempotency_key|postgres/i;

/**
 * Writers with unique keys, each retrying a failed call with the same key until it gets an answer
 * (200 or 403). `url()` is read per attempt, so a restarted server on another port is found.
 */
function startLoad(
  url: () => string,
  writers: { userId: string; enforce: boolean; seconds: () => number }[],
): Load {
  let running = true;
  const load: Load = {
    acked: new Map(),
    refused: new Set(),
    failures: 0,
    errorBodies: [],
    unexpected: [],
    ackTimes: [],
    stop: async () => {
      running = false;
      await done;
    },
  };
  const writer = async (w: number) => {
    const { userId, enforce, seconds } = writers[w]!;
    for (let i = 0; running; i++) {
      const idempotencyKey = `w${w}-${i}`;
      const amount = seconds();
      const input = { userId, seconds: amount, idempotencyKey, enforceLimits: enforce };
      for (;;) {
        try {
          const response = await fetch(`${url()}/usage.recordUsage`, {
            method: "POST",
            headers,
            body: JSON.stringify({ json: input }),
            signal: AbortSignal.timeout(20_000),
          });
          const text = await response.text();
          if (response.status === 200) {
            load.acked.set(idempotencyKey, { userId, seconds: amount });
            load.ackTimes.push(Date.now());
            break;
          }
          if (response.status === 403 && refusalOf(text)) {
            load.refused.add(idempotencyKey);
            break;
          }
          // Anything else is a failure to retry; a 4xx here (a FORBIDDEN that is no refusal) is
          // an answer the server must never give these valid calls.
          load.failures++;
          if (response.status < 500) load.unexpected.push(`${response.status} ${text}`);
          if (load.errorBodies.length < 50) load.errorBodies.push(text);
        } catch {
          load.failures++;
        }
        await sleep(50);
      }
      if (enforce) await sleep(15);
    }
  };
  const done = Promise.all(writers.map((_, w) => writer(w))).then(() => {});
  return load;
}

/** `/healthz` every 100 ms: the sequence of distinct answers (200, 503, 0 = no answer). */
function watchHealth(origin: () => string) {
  const seen: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      // One retry on a transport error: a pooled keep-alive socket the server just closed is
      // the client's race, not the server failing to answer.
      const probe = () =>
        fetch(`${origin()}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status);
      const status = await probe().catch(() => probe().catch(() => 0));
      if (seen.at(-1) !== status) seen.push(status);
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return seen;
    },
  };
}

/** The ledger by key, the monthly rows against it, and reconcile's verdict. */
async function audit(db: Db, load: Load) {
  const ledger = await db
    .select({
      key: usageEvents.idempotencyKey,
      userId: usageEvents.userId,
      n: sql<number>`count(*)::int`,
      seconds: sql<number>`sum(${usageEvents.seconds})::int`,
    })
    .from(usageEvents)
    .groupBy(usageEvents.idempotencyKey, usageEvents.userId);
  // Calls without a key (a test's own set-up) are not part of the load.
  const keyed = ledger.filter((r) => r.key !== null);
  const byKey = new Map(keyed.map((r) => [r.key!, r]));
  const lost = [...load.acked.keys()].filter((k) => !byKey.has(k));
  const doubled = keyed.filter((r) => r.n > 1);
  const unacknowledged = keyed.filter((r) => !load.acked.has(r.key!));
  const refusedRecorded = [...load.refused].filter((k) => byKey.has(k));
  const wrongAmount = [...load.acked].filter(([k, a]) => byKey.get(k)?.seconds !== a.seconds);
  const monthly = await db
    .select({
      userId: monthlyUsage.userId,
      seconds: sql<number>`sum(${monthlyUsage.seconds})::int`,
    })
    .from(monthlyUsage)
    .groupBy(monthlyUsage.userId);
  const ledgerSeconds = new Map<string, number>();
  for (const r of ledger)
    ledgerSeconds.set(r.userId, (ledgerSeconds.get(r.userId) ?? 0) + r.seconds);
  const monthlyMismatch = monthly.filter((m) => ledgerSeconds.get(m.userId) !== m.seconds);
  const drift = await findDrift(db, { tiers: defaultTiers });
  return {
    ledger,
    lost,
    doubled,
    unacknowledged,
    refusedRecorded,
    wrongAmount,
    monthly,
    monthlyMismatch,
    drift,
  };
}

const runFaults = process.env.DATABASE_URL && postgresBin() !== undefined;
if (process.env.CI && !runFaults) throw new Error("CI must run the fault-injection suite");

describe.runIf(runFaults)("fault injection: PostgreSQL crashed and restarted mid-load", () => {
  let cluster: PrivateCluster;
  beforeAll(async () => {
    cluster = await createPrivateCluster();
  });
  afterAll(() => cluster?.destroy());

  it("loses no acknowledged event, counts none twice, recovers by itself, never overspends", async () => {
    const server = await startServer({
      DATABASE_URL: cluster.url,
      USAGE_SERVICE_TOKEN: TOKEN,
      DATABASE_POOL_MAX: "10",
    });
    const origin = `http://127.0.0.1:${server.port}`;
    const free = Array.from({ length: 6 }, newUserId);
    const capped = Array.from({ length: 3 }, newUserId);
    try {
      // The capped learners start near their free limit (1,800 s): one with 40 s left (at its
      // limit within the first second, refused through every crash), two with 250 s left (at
      // their limit around the crashes on a fast machine, later on a slow one).
      const left = [40, 250, 250];
      for (const [n, userId] of capped.entries()) {
        const response = await fetch(`${server.url}/usage.recordUsage`, {
          method: "POST",
          headers,
          body: JSON.stringify({ json: { userId, seconds: FREE_SECONDS - left[n]! } }),
        });
        expect(response.status).toBe(200);
      }
      const health = watchHealth(() => origin);
      const load = startLoad(
        () => server.url,
        [
          ...free.map((userId) => ({ userId, enforce: false, seconds: () => 1 })),
          ...capped.flatMap((userId) =>
            [0, 1].map(() => ({
              userId,
              enforce: true,
              seconds: () => 1 + Math.floor(Math.random() * 3),
            })),
          ),
        ],
      );
      // Three crashes, each while writes are in flight, each followed by crash recovery.
      const crashes: { ackedBefore: number; recoveryMs: number | null }[] = [];
      for (let round = 0; round < CRASHES; round++) {
        await sleep(1500);
        const ackedBefore = load.acked.size;
        cluster.crash();
        await sleep(1500);
        cluster.start();
        const restartedAt = Date.now();
        while (!load.ackTimes.some((t) => t > restartedAt) && Date.now() - restartedAt < 10_000) {
          await sleep(10);
        }
        const recoveredAt = load.ackTimes.find((t) => t > restartedAt);
        crashes.push({
          ackedBefore,
          recoveryMs: recoveredAt === undefined ? null : recoveredAt - restartedAt,
        });
      }
      await sleep(1500);
      await load.stop();
      const healthSeen = await health.stop();

      const handle = await createDb({ url: cluster.url, max: 2 });
      try {
        // The prefill calls were acknowledged too.
        const prefill = await handle.db
          .select({ n: sql<number>`count(*)::int` })
          .from(usageEvents)
          .where(sql`${usageEvents.idempotencyKey} IS NULL`);
        expect(prefill[0]!.n).toBe(capped.length);
        const result = await audit(handle.db, load);
        const report = {
          crashes,
          acked: load.acked.size,
          refused: load.refused.size,
          failedAttempts: load.failures,
          lost: result.lost.length,
          doubled: result.doubled.length,
          health: healthSeen,
        };
        console.log("fault injection (PostgreSQL crash):", JSON.stringify(report));

        // Each crash hit a running load, which went on after it.
        for (const [i, crash] of crashes.entries()) {
          expect(crash.ackedBefore).toBeGreaterThan((crashes[i - 1]?.ackedBefore ?? 0) + 50);
          // Recovered without a restart, within a few seconds of the database (the driver backs
          // off ≤ 0.5 s between reconnects).
          expect(crash.recoveryMs).not.toBeNull();
          expect(crash.recoveryMs!).toBeLessThan(5000);
        }
        expect(load.acked.size).toBeGreaterThan(crashes.at(-1)!.ackedBefore + 50);
        expect(load.failures).toBeGreaterThan(0); // the crash was felt
        expect(result.lost).toEqual([]);
        expect(result.doubled).toEqual([]);
        expect(result.unacknowledged).toEqual([]);
        expect(result.wrongAmount).toEqual([]);
        expect(result.monthlyMismatch).toEqual([]);
        expect(result.drift).toEqual([]);
        // Refused keys wrote no usage; the capped learners reached their limit and never passed it.
        expect(result.refusedRecorded).toEqual([]);
        for (const userId of capped) {
          const used = result.monthly.find((m) => m.userId === userId)!.seconds;
          expect(used).toBeLessThanOrEqual(FREE_SECONDS); // overspend 0
        }
        const first = result.monthly.find((m) => m.userId === capped[0])!.seconds;
        expect(first).toBeGreaterThan(FREE_SECONDS - 3); // it did reach its limit
        expect(load.refused.size).toBeGreaterThan(0);
        // Every failed answer was a masked 500 that leaked nothing; no other answer came.
        expect(load.unexpected).toEqual([]);
        expect(load.errorBodies.length).toBeGreaterThan(0);
        for (const text of load.errorBodies) {
          expect(text).not.toMatch(LEAKS);
          const error = (JSON.parse(text) as { error: { json: { message: string; data: object } } })
            .error.json;
          expect(error.message).toMatch(/^internal server error \(errorId [0-9a-f-]{36}\)$/);
          expect(error.data).toMatchObject({ code: "INTERNAL_SERVER_ERROR", httpStatus: 500 });
          expect(error.data).not.toHaveProperty("limitExceeded");
        }
        // /healthz said 503 while the database was down and 200 otherwise; it always answered.
        expect(healthSeen).toEqual(
          Array.from({ length: CRASHES }, () => [200, 503])
            .flat()
            .concat(200),
        );
        expect(server.child.exitCode).toBeNull();
      } finally {
        await handle.close();
      }
    } finally {
      server.kill();
      await server.exited();
    }
  });
});

describe("fault injection: the standalone server on PGlite killed mid-write", () => {
  it("opens its data again after kill -9, with every acknowledged event", async () => {
    let server = await startPgliteServer(TOKEN);
    const { dataDir } = server;
    let url = server.url;
    const users = Array.from({ length: 4 }, newUserId);
    const load = startLoad(
      () => url,
      users.map((userId) => ({ userId, enforce: false, seconds: () => 2 })),
    );
    await sleep(1500);
    server.kill("SIGKILL");
    await server.exited();
    const ackedAtKill = load.acked.size;
    // Restarted on the same folder: the dead process's lock is taken over.
    const restarted = await startServer({
      DATABASE_URL: "",
      USAGE_DATA_DIR: dataDir,
      USAGE_SERVICE_TOKEN: TOKEN,
    });
    url = restarted.url;
    server = { ...server, ...restarted };
    await sleep(1500);
    await load.stop();
    restarted.kill("SIGTERM");
    expect(await restarted.exited()).toBe(0);

    const handle = await createDb({ url: "", dataDir });
    try {
      const result = await audit(handle.db, load);
      console.log(
        "fault injection (PGlite kill -9):",
        JSON.stringify({
          ackedAtKill,
          acked: load.acked.size,
          failedAttempts: load.failures,
          lost: result.lost.length,
          doubled: result.doubled.length,
        }),
      );
      expect(ackedAtKill).toBeGreaterThan(20);
      expect(load.acked.size).toBeGreaterThan(ackedAtKill);
      expect(result.lost).toEqual([]);
      expect(result.doubled).toEqual([]);
      expect(result.unacknowledged).toEqual([]);
      expect(result.wrongAmount).toEqual([]);
      expect(result.monthlyMismatch).toEqual([]);
      expect(result.drift).toEqual([]);
    } finally {
      await handle.close();
      await server.stop();
    }
  });
});
