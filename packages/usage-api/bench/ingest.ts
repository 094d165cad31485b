/**
 * `pnpm bench` (part 2): ingest at scale, on the real PostgreSQL server from DATABASE_URL.
 * - batches in process (createCaller) and over HTTP (8 callers × 500-event batches) against a
 *   raw-SQL batch floor doing the same durable work;
 * - the buffered client (createUsageClient) end to end;
 * - single events over HTTP against an in-memory ceiling of the same tRPC stack;
 * - canUseFeature over HTTP at one connection, idle and while writers run, beside the in-memory
 *   ceiling's own latency at one connection (the transport's floor).
 * Medians of interleaved rounds; ratios printed. A benchmark: nothing here asserts a time.
 */
import { randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createDb } from "@usagekit/db";
import postgres from "postgres";
import superjson from "superjson";
import { createCaller, createTRPCContext } from "../src";
import type { AppRouter } from "../src";
import { createUsageClient } from "../src/transport/client";
import { freePort } from "../test/process";
import { benchDatabase, median, percentile, runConcurrent } from "./harness";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 500;
const BATCHES_PER_ROUND = 40; // 20,000 events a round
const USERS = 2_000;
const TOKEN = "bench-service-token-0123456789";
const WORKERS = process.env.USAGE_WORKERS ?? "1";
/** BENCH_PARTS=single,latency (say) runs only those parts: for iterating on one of them. */
const PARTS = (process.env.BENCH_PARTS ?? "batch,single,latency").split(",");
/** Batch callers (BENCH_CALLERS, default 8). */
const CALLERS = Number(process.env.BENCH_CALLERS ?? 8);

const { url, drop } = await benchDatabase("usagekit_bench_ingest");
// Migrates; then the batch path in this process (createCaller: no HTTP, no JSON), 8 connections.
const handle = await createDb({ url, max: 8 });
const inProcess = createCaller(createTRPCContext({ db: handle.db, auth: { type: "service" } }));
const raw = postgres(url, { max: 8, onnotice: () => {} });

/** A process in its own group, ready when it prints `ready`. */
async function start(args: string[], env: Record<string, string>, ready: string) {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  await new Promise<void>((resolve) =>
    child.stdout.on("data", (c: Buffer) => c.toString().includes(ready) && resolve()),
  );
  return () => {
    process.kill(-child.pid!, "SIGTERM");
    return new Promise((resolve) => child.once("exit", resolve));
  };
}
const [port, ceilingPort] = [await freePort(), await freePort()];
const stopServer = await start(
  ["src/main.ts"],
  {
    DATABASE_URL: url,
    PORT: String(port),
    USAGE_SERVICE_TOKEN: TOKEN,
    USAGE_WORKERS: WORKERS,
    DATABASE_POOL_MAX: "8",
    // The analytics' rollups folded once a minute, not every 10 s: this measures the writes.
    USAGE_ROLLUP_REFRESH_MS: "60000",
  },
  "usagekit API on",
);
const stopCeiling = await start(["bench/ceiling-server.ts", String(ceilingPort)], {}, "ceiling on");
const client = (p: number) =>
  createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `http://127.0.0.1:${p}/api/trpc`,
        transformer: superjson,
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    ],
  });
const http = client(port);
const ceiling = client(ceilingPort);

const users = Array.from({ length: USERS }, () => randomUUID());
await raw`INSERT INTO usagekit.users (id, tier) SELECT unnest(${users}::text[]), 'plus'`;
const someUser = () => users[Math.floor(Math.random() * users.length)]!;
/** A batch as a client sends one: every event keyed, so a retry never counts twice. */
const batchOf = () =>
  Array.from({ length: BATCH }, () => ({
    userId: someUser(),
    idempotencyKey: randomUUID(),
    conversations: 1,
    seconds: 30,
  }));

/**
 * The batch floor: the same durable work per event as the batch path (each key claimed for its
 * user across months, as a partitioned ledger needs; ledger rows; monthly, daily and lifetime
 * rows summed per key, overage past the plus limit) by one hand-written set-based statement per
 * batch, rows in user order, through postgres.js: no validation, no per-event answers, no API.
 */
const floorBatch = (events: { userId: string; idempotencyKey: string }[]) => raw`
  WITH given AS (
    SELECT e.user_id, e.key, now() AS at, date_trunc('month', now() AT TIME ZONE u.timezone)::date AS month,
      (now() AT TIME ZONE u.timezone)::date AS day, u.tier, u.timezone
    FROM jsonb_to_recordset(${JSON.stringify(events.map((e) => ({ user_id: e.userId, key: e.idempotencyKey })))}::text::jsonb)
      AS e(user_id text, key text)
    JOIN usagekit.users u ON u.id = e.user_id
  ), claimed AS (
    INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
    SELECT user_id, key, month FROM given ORDER BY 1, 2
    ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING user_id, idempotency_key
  ), ev AS (
    SELECT g.* FROM given g JOIN claimed c ON c.user_id = g.user_id AND c.idempotency_key = g.key
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, occurred_at, month, day, tier, idempotency_key, conversations, seconds)
    SELECT user_id, at, month, day, tier, key, 1, 30 FROM ev ORDER BY user_id RETURNING 1
  ), mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end, conversations, seconds,
      tier_when_used, last_event_at, last_conversation_at)
    SELECT user_id, month, month::timestamp AT TIME ZONE min(timezone),
      (month + interval '1 month')::timestamp AT TIME ZONE min(timezone), count(*), 30 * count(*),
      min(tier), max(at), max(at)
    FROM ev GROUP BY user_id, month ORDER BY user_id
    ON CONFLICT (user_id, month) DO UPDATE SET conversations = m.conversations + excluded.conversations,
      seconds = m.seconds + excluded.seconds,
      overage_seconds = m.overage_seconds + greatest(0, m.seconds + excluded.seconds - 36000)
        - greatest(0, m.seconds - 36000),
      tier_when_used = excluded.tier_when_used, last_event_at = excluded.last_event_at,
      last_conversation_at = excluded.last_conversation_at, updated_at = now()
    RETURNING 1
  ), d AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events)
    SELECT user_id, day, count(*) FROM ev GROUP BY user_id, day ORDER BY user_id
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + excluded.events
    RETURNING user_id, (xmax = 0) AS new_day
  ), l AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, total_conversations, total_seconds, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT user_id, count(*), 30 * count(*), (SELECT count(*) FROM d WHERE d.user_id = ev.user_id AND new_day),
      min(at), min(at), max(at)
    FROM ev GROUP BY user_id ORDER BY user_id
    ON CONFLICT (user_id) DO UPDATE SET total_conversations = l.total_conversations + excluded.total_conversations,
      total_seconds = l.total_seconds + excluded.total_seconds, days_active = l.days_active + excluded.days_active,
      last_active_at = excluded.last_active_at, updated_at = now()
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM led)::int AS n`;

async function bufferedClient(total: number) {
  const usage = createUsageClient({
    url: `http://127.0.0.1:${port}/api/trpc`,
    token: TOKEN,
    batchSize: BATCH,
    concurrency: 8,
  });
  const t0 = performance.now();
  for (let i = 0; i < total; i++)
    await usage.record({ userId: someUser(), conversations: 1, seconds: 30 });
  await usage.close();
  return total / ((performance.now() - t0) / 1000);
}

const batchWorkloads: Record<string, () => Promise<number>> = {
  "a raw SQL batch floor": async () =>
    BATCH *
    (await runConcurrent(BATCHES_PER_ROUND, CALLERS, () => floorBatch(batchOf()))).perSecond,
  "b' recordUsageBatch in process": async () =>
    BATCH *
    (
      await runConcurrent(BATCHES_PER_ROUND, CALLERS, () =>
        inProcess.usage.recordUsageBatch({ events: batchOf() }),
      )
    ).perSecond,
  "b recordUsageBatch over HTTP": async () =>
    BATCH *
    (
      await runConcurrent(BATCHES_PER_ROUND, CALLERS, () =>
        http.usage.recordUsageBatch.mutate({ events: batchOf() }),
      )
    ).perSecond,
  "c createUsageClient end to end": () => bufferedClient(BATCH * BATCHES_PER_ROUND),
};
const single = () => ({ userId: someUser(), conversations: 1, seconds: 30 });
const singleWorkloads: Record<string, () => Promise<number>> = {
  "d in-memory ceiling (same tRPC stack)": async () =>
    (await runConcurrent(2_000, 8, () => ceiling.usage.recordUsage.mutate(single()))).perSecond,
  "e recordUsage over HTTP": async () =>
    (await runConcurrent(2_000, 8, () => http.usage.recordUsage.mutate(single()))).perSecond,
};

async function interleaved(workloads: Record<string, () => Promise<number>>, base: string) {
  for (const work of Object.values(workloads)) await work(); // warm-up
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, work] of Object.entries(workloads)) (samples[name] ??= []).push(await work());
  }
  const baseRate = median(samples[base]!);
  for (const [name, rates] of Object.entries(samples)) {
    const rate = median(rates);
    console.log(
      `  ${name.padEnd(40)} ${rate.toFixed(0).padStart(7)} events/s   ratio ${(rate / baseRate).toFixed(2)}`,
    );
  }
}

console.log(
  `PostgreSQL ${(await raw`SHOW server_version`)[0]!.server_version}; server with USAGE_WORKERS=${WORKERS}; ${ROUNDS} interleaved rounds; medians`,
);
if (PARTS.includes("batch")) {
  console.log(`\nbatches of ${BATCH}, ${CALLERS} callers (ratio to the raw-SQL batch floor):`);
  await interleaved(batchWorkloads, "a raw SQL batch floor");
}
if (PARTS.includes("single")) {
  console.log(`\nsingle events, 8 callers (ratio to the in-memory ceiling):`);
  await interleaved(singleWorkloads, "d in-memory ceiling (same tRPC stack)");
}

type Client = ReturnType<typeof client>;
async function checkLatencies(c: Client, n: number) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await c.usage.canUseFeature.query({ userId: someUser(), feature: "ankiExports" });
    times.push(performance.now() - t0);
  }
  return `p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`;
}
if (PARTS.includes("latency")) {
  // Idle means idle: the writes above leave vacuum and checkpoint work that would land here.
  await raw`VACUUM ANALYZE`;
  await raw`CHECKPOINT`;
  for (const c of [http, ceiling]) await checkLatencies(c, 200);
  console.log(`\ncanUseFeature over HTTP, one connection (tRPC client):`);
  console.log(
    `  in-memory ceiling (same tRPC stack), idle:  ${await checkLatencies(ceiling, 2_000)}`,
  );
  console.log(`  usagekit, idle:                             ${await checkLatencies(http, 2_000)}`);
  let writing = true;
  const writers = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (writing) await http.usage.recordUsageBatch.mutate({ events: batchOf().slice(0, 100) });
    }),
  );
  console.log(`  usagekit, 4 writers of 100-event batches:   ${await checkLatencies(http, 2_000)}`);
  writing = false;
  await writers;
}

await stopServer();
await stopCeiling();
await handle.close();
await raw.end();
await drop();
