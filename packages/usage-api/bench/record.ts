/**
 * `pnpm bench` (part 1): recordUsage against a raw-SQL floor measured in the same run, on the real
 * PostgreSQL server from DATABASE_URL. Prints medians of several rounds and their ratios.
 * A benchmark, not a test: nothing here asserts a time.
 */
import { randomUUID } from "node:crypto";
import { spawn } from "node:child_process";
import { createTRPCClient, httpLink } from "@trpc/client";
import { createDb } from "@usagekit/db";
import postgres from "postgres";
import superjson from "superjson";
import { createCaller, createTRPCContext } from "../src";
import type { AppRouter } from "../src";
import { benchDatabase, median, percentile, runConcurrent } from "./harness";

const ROUNDS = 5;
const EVENTS_PER_ROUND = 1_000;
const USERS = 500;
const TOKEN = "bench-service-token-0123456789";

const { url, drop } = await benchDatabase("usagekit_bench");
const handle = await createDb({ url, max: 10 });
const raw = postgres(url, { max: 10, onnotice: () => {} });
const api = createCaller(createTRPCContext({ db: handle.db, auth: { type: "service" } }));
// The standalone server as it is deployed: its own process (`pnpm start`), on the same database.
const port = 40_000 + Math.floor(Math.random() * 10_000);
const server = spawn("pnpm", ["exec", "tsx", "src/main.ts"], {
  env: { ...process.env, DATABASE_URL: url, PORT: String(port), USAGE_SERVICE_TOKEN: TOKEN },
  stdio: ["ignore", "pipe", "inherit"],
  detached: true,
});
await new Promise<void>((resolve) =>
  server.stdout.on(
    "data",
    (chunk: Buffer) => chunk.toString().includes("usagekit API on") && resolve(),
  ),
);
const http = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: `http://127.0.0.1:${port}/api/trpc`,
      transformer: superjson,
      headers: { authorization: `Bearer ${TOKEN}` },
    }),
  ],
});

const users = Array.from({ length: USERS }, () => randomUUID());
for (const userId of users) await api.usage.setUserPlan({ userId, tier: "plus" });
const someUser = () => users[Math.floor(Math.random() * users.length)]!;

/**
 * The floor: the same durable work as recordUsage (ledger row; monthly row with every counter,
 * session length, overage past the plus limit, tier and last-event times, returned; the day; the
 * lifetime row) written by one hand-written, prepared statement per event through postgres.js,
 * with the plan known in advance: no validation, no generic tier table, no API.
 */
const floor = (userId: string) => raw`
  WITH u AS (SELECT id, tier, timezone, now() AS at FROM usagekit.users WHERE id = ${userId}),
  led AS (
    INSERT INTO usagekit.usage_events (user_id, occurred_at, month, day, tier, conversations, seconds)
    SELECT id, at, date_trunc('month', at AT TIME ZONE timezone)::date, (at AT TIME ZONE timezone)::date,
      tier, 1, 30 FROM u
    RETURNING user_id, month, day, tier, occurred_at),
  mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end, conversations, seconds,
      tier_when_used, last_event_at, last_conversation_at)
    SELECT led.user_id, month, month::timestamp AT TIME ZONE timezone,
      (month + interval '1 month')::timestamp AT TIME ZONE timezone, 1, 30, led.tier, occurred_at, occurred_at
    FROM led JOIN u ON u.id = led.user_id
    ON CONFLICT (user_id, month) DO UPDATE SET conversations = m.conversations + 1,
      seconds = m.seconds + 30,
      overage_seconds = m.overage_seconds + greatest(0, m.seconds + 30 - 36000) - greatest(0, m.seconds - 36000),
      tier_when_used = excluded.tier_when_used,
      last_event_at = greatest(m.last_event_at, excluded.last_event_at),
      last_conversation_at = greatest(m.last_conversation_at, excluded.last_conversation_at),
      updated_at = now()
    RETURNING m.*),
  d AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events) SELECT user_id, day, 1 FROM led
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + 1 RETURNING (xmax = 0) AS new_day),
  l AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, total_conversations, total_seconds, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT user_id, 1, 30, (SELECT count(*) FROM d WHERE new_day), occurred_at, occurred_at, occurred_at FROM led
    ON CONFLICT (user_id) DO UPDATE SET total_conversations = l.total_conversations + 1,
      total_seconds = l.total_seconds + 30, days_active = l.days_active + excluded.days_active,
      first_active_at = least(l.first_active_at, excluded.first_active_at),
      first_conversation_at = least(l.first_conversation_at, excluded.first_conversation_at),
      last_active_at = greatest(l.last_active_at, excluded.last_active_at), updated_at = now())
  SELECT * FROM mon`;

const workloads = {
  "a raw SQL floor": () => floor(someUser()),
  "b recordUsage (createCaller)": () =>
    api.usage.recordUsage({ userId: someUser(), conversations: 1, seconds: 30 }),
  "b' recordUsage enforceLimits": () =>
    api.usage.recordUsage({
      userId: someUser(),
      conversations: 1,
      seconds: 30,
      enforceLimits: true,
    }),
  "c recordUsage over HTTP (server process)": () =>
    http.usage.recordUsage.mutate({ userId: someUser(), conversations: 1, seconds: 30 }),
};

console.log(
  `PostgreSQL ${(await raw`SHOW server_version`)[0]!.server_version}; ${ROUNDS} rounds × ${EVENTS_PER_ROUND} events, ${USERS} users; medians`,
);
for (const concurrency of [1, 8]) {
  // Warm-up (caches, prepared statements), then rounds that take every workload in turn, so
  // noise from the shared machine falls on all of them alike; each rate is a median of rounds.
  for (const work of Object.values(workloads)) await runConcurrent(200, concurrency, work);
  const samples: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, work] of Object.entries(workloads)) {
      (samples[name] ??= []).push(
        (await runConcurrent(EVENTS_PER_ROUND, concurrency, work)).perSecond,
      );
    }
  }
  const floorRate = median(samples["a raw SQL floor"]!);
  console.log(`\n${concurrency} concurrent caller(s):`);
  for (const [name, rates] of Object.entries(samples)) {
    const rate = median(rates);
    console.log(
      `  ${name.padEnd(42)} ${rate.toFixed(0).padStart(7)} events/s   ratio to floor ${(rate / floorRate).toFixed(2)}`,
    );
  }
}

const latencies: number[] = [];
for (let i = 0; i < 2_000; i++) {
  const start = performance.now();
  await api.usage.canUseFeature({ userId: someUser(), feature: "ankiExports" });
  latencies.push(performance.now() - start);
}
console.log(
  `\ncanUseFeature latency (1 caller, 2000 calls): p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
);

process.kill(-server.pid!, "SIGTERM");
await new Promise((resolve) => server.once("exit", resolve));
await raw.end();
await handle.close();
await drop();
