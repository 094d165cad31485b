import postgres from "postgres";

// Bench-only configuration, read here rather than in src/env.ts.
const DATABASE_URL = process.env.DATABASE_URL;
/** BENCH_REUSE=1 keeps the bench database between runs (for iterating on queries). */
const REUSE = process.env.BENCH_REUSE === "1";

/** A fresh database on the server from DATABASE_URL, dropped by `drop()`. */
export async function benchDatabase(
  name: string,
): Promise<{ url: string; fresh: boolean; drop(): Promise<void> }> {
  if (!DATABASE_URL) {
    console.error(
      "pnpm bench measures the real PostgreSQL server: set DATABASE_URL=postgres://...",
    );
    process.exit(2);
  }
  const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
  const exists = (await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`).length > 0;
  const fresh = !(REUSE && exists);
  if (fresh) {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${name}`);
  }
  const url = new URL(DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    fresh,
    drop: async () => {
      if (!REUSE) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `work` `total` times with `concurrency` in flight; returns the rate. */
export async function runConcurrent(
  total: number,
  concurrency: number,
  work: () => Promise<unknown>,
) {
  let started = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started < total) {
        started++;
        await work();
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, perSecond: total / seconds };
}

export const median = (xs: number[]) => percentile(xs, 50);

export function percentile(xs: number[], p: number) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
