/**
 * `pnpm bench` (part 3): does writing get slower as the ledger grows? The same writes — five
 * batches of 1,000 events and 300 single `recordUsage` calls a round, with keys, for users who
 * already have history — on an empty database and on one holding BENCH_GROWN_ROWS (10,000,000)
 * ledger rows over the 12 months before its clock's month (BENCH_GROWN_UP_TO_NOW=1: the 12
 * months up to its clock, so that the current month holds 20 days of them), generated in SQL
 * (each with its key claimed, the past months' keys then moved as the server's maintenance moves
 * them), measured in
 * interleaved rounds; prints medians and the ratio grown / empty. A benchmark, not a test:
 * nothing here asserts a time.
 */
import { randomUUID } from "node:crypto";
import { createDb } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { createCaller, createTRPCContext } from "../src";
import { moveKeys } from "../src/record/move-keys";
import { benchDatabase, median } from "./harness";

const ROWS = Number(process.env.BENCH_GROWN_ROWS ?? 10_000_000);
const USERS = 200_000;
// Bench-only configuration: BENCH_GROWN_ROUNDS (default 9) interleaved rounds;
// BENCH_GROWN_UP_TO_NOW (above).
const ROUNDS = Number(process.env.BENCH_GROWN_ROUNDS ?? 9);
const UP_TO_NOW = process.env.BENCH_GROWN_UP_TO_NOW === "1";
const BATCH = 1_000;
/** Batches per round: one batch (~0.1 s) is too short a sample on a shared machine. */
const BATCHES = 5;
const SINGLES = 300;
const NOW = new Date("2026-11-20T12:00:00Z");

async function open(name: string, grow: boolean) {
  const database = await benchDatabase(name);
  const handle = await createDb({ url: database.url, max: 4 });
  const { db } = handle;
  if (database.fresh) {
    await db.execute(sql`
      INSERT INTO usagekit.users (id, tier, timezone)
      SELECT 'u' || g, (ARRAY['free', 'plus', 'pro'])[1 + g % 3], 'Europe/Berlin'
      FROM generate_series(1, ${USERS}) g`);
    if (grow) {
      // 12 months back from November 2026 (or up to NOW), in chunks of a million rows
      // (progress printed).
      const chunk = 1_000_000;
      for (let from = 0; from < ROWS; from += chunk) {
        const to = Math.min(ROWS, from + chunk);
        await db.execute(sql`
          WITH e AS (
            SELECT 'u' || (1 + g % ${USERS}) AS user_id, 'old-' || g AS key,
              ${UP_TO_NOW ? sql`timestamptz '2025-11-20 12:00+00'` : sql`timestamptz '2025-11-01 00:00+01'`}
                + make_interval(secs => (g::bigint * ${UP_TO_NOW ? 31536000 : 31557600} / ${ROWS})::int) AS at
            FROM generate_series(${from + 1}::bigint, ${to}::bigint) g
          ), k AS (
            INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
            SELECT user_id, key, date_trunc('month', at AT TIME ZONE 'Europe/Berlin')::date FROM e
          )
          INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier, seconds, conversations)
          SELECT user_id, key, at, date_trunc('month', at AT TIME ZONE 'Europe/Berlin')::date,
            (at AT TIME ZONE 'Europe/Berlin')::date, 'plus', 60, 1 FROM e`);
        console.log(
          `  ${name}: ${to.toLocaleString("en-US")} of ${ROWS.toLocaleString("en-US")} ledger rows`,
        );
      }
      await db.execute(sql`ANALYZE`);
    }
  }
  // The past months' keys moved out of the recent ones, as the server's maintenance does.
  // Then vacuumed, as autovacuum would have long since done in a month of writes.
  if (grow) {
    await moveKeys(db, { now: NOW, log: (line) => console.log(`  ${name}: ${line}`) });
    await db.execute(
      sql`VACUUM (ANALYZE) usagekit.usage_event_keys, usagekit.usage_event_keys_past`,
    );
    console.log(`  ${name}: keys vacuumed`);
  }
  const api = createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => NOW }));
  return { api, close: async () => (await handle.close(), await database.drop()) };
}

const empty = await open("usagekit_bench_empty", false);
const grown = await open("usagekit_bench_grown", true);
const user = () => `u${1 + Math.floor(Math.random() * USERS)}`;
const rates = {
  empty: { batch: [] as number[], single: [] as number[] },
  grown: { batch: [] as number[], single: [] as number[] },
};

async function round(which: keyof typeof rates, api: typeof empty.api) {
  const batches = Array.from({ length: BATCHES }, () =>
    Array.from({ length: BATCH }, () => ({
      userId: user(),
      idempotencyKey: randomUUID(),
      seconds: 30,
      conversations: 1,
    })),
  );
  let t0 = performance.now();
  for (const events of batches) await api.usage.recordUsageBatch({ events });
  rates[which].batch.push((BATCHES * BATCH) / ((performance.now() - t0) / 1000));
  t0 = performance.now();
  for (let i = 0; i < SINGLES; i++)
    await api.usage.recordUsage({ userId: user(), idempotencyKey: randomUUID(), seconds: 30 });
  rates[which].single.push(SINGLES / ((performance.now() - t0) / 1000));
}

// A warm-up round each, then interleaved rounds.
await round("empty", empty.api);
await round("grown", grown.api);
for (const r of Object.values(rates)) {
  r.batch.length = 0;
  r.single.length = 0;
}
for (let i = 0; i < ROUNDS; i++) {
  await round("empty", empty.api);
  await round("grown", grown.api);
}
const line = (what: "batch" | "single") => {
  const e = median(rates.empty[what]);
  const g = median(rates.grown[what]);
  return `| ${what === "batch" ? `recordUsageBatch (${BATCH} events)` : "recordUsage, one by one"} | ${Math.round(e).toLocaleString("en-US")} | ${Math.round(g).toLocaleString("en-US")} | ${(g / e).toFixed(2)} |`;
};
console.log(
  `\nWrite cost as the ledger grows (events/s, medians of ${ROUNDS} interleaved rounds):`,
);
console.log(`| write | empty ledger | ${ROWS.toLocaleString("en-US")} rows | grown / empty |`);
console.log("| --- | --- | --- | --- |");
console.log(line("batch"));
console.log(line("single"));
await empty.close();
await grown.close();
