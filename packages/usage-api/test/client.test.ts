import { connect, createServer } from "node:net";
import type { Socket } from "node:net";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import type { BatchResult } from "../src";
import { createUsageClient } from "../src/transport/client";
import { findDrift } from "../src/record/reconcile";
import { dbKinds, newUserId, useServer } from "./db";

const TOKEN = "client-test-service-token-0123456789";

/**
 * A TCP proxy in front of the server that breaks requests: every `every`-th request is cut
 * mid-request (the server never gets the whole batch) or mid-response (the server recorded the
 * batch, the client never hears it), alternately. Requests are counted as they start on any
 * (keep-alive) connection.
 */
async function flakyProxy(target: string, every: number) {
  const { hostname, port } = new URL(target);
  let requests = 0;
  const cut = { midRequest: 0, midResponse: 0 };
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    let mode: "pass" | "midRequest" | "midResponse" = "pass";
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (chunk.subarray(0, 5).toString() === "POST ") {
        const n = ++requests;
        mode = n % every !== 0 ? "pass" : (n / every) % 2 === 0 ? "midRequest" : "midResponse";
      }
      if (mode === "midRequest") {
        cut.midRequest++;
        upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)));
        return kill();
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (mode === "midResponse") {
        cut.midResponse++;
        return kill();
      }
      client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on("error", () => {});
      s.on("close", kill);
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/api/trpc`,
    cut,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe.each(dbKinds)("createUsageClient on %s", (kind) => {
  const suite = useServer(kind, { serviceToken: TOKEN, logError: () => {} }, { max: 8 });

  it("counts every event exactly once when connections die mid-batch", async () => {
    const proxy = await flakyProxy(suite.url, 3);
    const results = new Map<string, BatchResult["status"]>();
    let retries = 0;
    const client = createUsageClient({
      url: proxy.url,
      token: TOKEN,
      batchSize: 100,
      maxBuffered: 300,
      concurrency: 2,
      retryBaseMs: 5,
      flushIntervalMs: 20,
      onResult: (event, result) => results.set(event.idempotencyKey!, result.status),
      onRetry: () => retries++,
    });
    const users = Array.from({ length: 20 }, newUserId);
    let maxHeld = 0;
    for (let n = 0; n < 2000; n++) {
      await client.record({ userId: users[n % users.length]!, conversations: 1, seconds: 30 });
      maxHeld = Math.max(maxHeld, client.pending);
    }
    await client.close();
    await proxy.close();

    expect(proxy.cut.midRequest).toBeGreaterThan(0);
    expect(proxy.cut.midResponse).toBeGreaterThan(0);
    expect(retries).toBeGreaterThanOrEqual(proxy.cut.midRequest + proxy.cut.midResponse);
    expect(maxHeld).toBeLessThanOrEqual(300); // record() waited: memory stayed bounded
    expect(results.size).toBe(2000);
    // A batch cut after the server committed it comes back as duplicates: counted once all the same.
    const statuses = [...results.values()];
    expect(statuses.every((s) => s === "recorded" || s === "duplicate")).toBe(true);
    expect(statuses.filter((s) => s === "duplicate").length).toBeGreaterThan(0);
    const [ledger] = await queryRows<{ n: number; keys: number; seconds: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys,
            sum(seconds)::int AS seconds FROM usagekit.usage_events`,
    );
    expect(ledger).toEqual({ n: 2000, keys: 2000, seconds: 60_000 });
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });
});
