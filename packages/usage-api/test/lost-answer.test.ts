import { createServer, connect } from "node:net";
import type { Server, Socket } from "node:net";
import { createDb, queryRows } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller, createTRPCContext, defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { openTestDb } from "./db";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
/** Text only the grouped (batch) statement of unenforced events has. */
const GROUP_STATEMENT = "PARTITION BY a.user_id, a.key";

/**
 * A TCP proxy to PostgreSQL that loses the answer of a committed statement: when a connection
 * runs the grouped statement, the proxy passes the server's messages up to its CommandComplete
 * and then closes the client's socket. The client had already sent Sync, so the server commits
 * the statement; the client sees its connection die. The first `cuts` such statements are cut.
 */
function answerLosingProxy(target: URL, cuts: number) {
  let left = cuts;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    const marked = new Set<string>(); // names of prepared group statements on this connection
    let armed = false;
    let started = false;
    let fromClient = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      fromClient = Buffer.concat([fromClient, chunk]);
      // The startup message has no type byte; every later one is type + length.
      if (!started) {
        if (fromClient.length < 4) return;
        const length = fromClient.readInt32BE(0);
        if (fromClient.length < length) return;
        fromClient = fromClient.subarray(length);
        started = true;
      }
      while (fromClient.length >= 5) {
        const length = fromClient.readInt32BE(1);
        if (fromClient.length < 1 + length) break;
        const type = String.fromCharCode(fromClient[0]!);
        const body = fromClient.subarray(5, 1 + length);
        fromClient = fromClient.subarray(1 + length);
        const [first, second] = body.toString("utf8").split("\u0000");
        if (type === "P" && second?.includes(GROUP_STATEMENT)) {
          marked.add(first!);
          if (first === "" && left > 0) armed = true; // unnamed: bound right away
        }
        if (type === "B" && marked.has(second!) && left > 0) armed = true;
      }
    });
    let fromServer = Buffer.alloc(0);
    let cut = false;
    upstream.on("data", (chunk: Buffer) => {
      if (cut) return; // the server's ReadyForQuery after its commit goes nowhere
      if (!armed) {
        client.write(chunk);
        return;
      }
      fromServer = Buffer.concat([fromServer, chunk]);
      let offset = 0;
      while (fromServer.length - offset >= 5) {
        const length = fromServer.readInt32BE(offset + 1);
        if (fromServer.length - offset < 1 + length) break;
        const type = String.fromCharCode(fromServer[offset]!);
        if (type === "C") {
          client.write(fromServer.subarray(0, offset));
          cut = true;
          left--;
          client.destroy();
          // Let the server finish (commit, ReadyForQuery), then close its side too.
          setTimeout(() => upstream.destroy(), 500);
          return;
        }
        offset += 1 + length;
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", () => !cut && upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  return {
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
      ),
    cutsLeft: () => left,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * Group commit never runs again what may have committed: grouped keyless events whose statement
 * committed but whose answer was lost (the connection died right after CommandComplete) are each
 * in the ledger once — their callers get a masked error — and never twice.
 */
describe.runIf(DATABASE_URL)("a grouped statement whose answer is lost (PostgreSQL)", () => {
  let db: Awaited<ReturnType<typeof openTestDb>>;
  let proxy: ReturnType<typeof answerLosingProxy>;
  let handle: DbHandle;
  beforeAll(async () => {
    db = await openTestDb("postgres");
    proxy = answerLosingProxy(new URL(db.url!), 3);
    const url = new URL(db.url!);
    url.host = `127.0.0.1:${await proxy.listen()}`;
    handle = await createDb({ url: url.toString(), max: 4 });
  });
  afterAll(async () => {
    await handle?.close();
    proxy?.close();
    await db?.close();
  });

  it("is not run again: each event once, the lost answers masked", async () => {
    const api = createCaller(
      createTRPCContext({ db: handle.db, auth: { type: "service" }, logError: () => {} }),
    );
    const outcomes: { userId: string; seconds: number; ok: boolean }[] = [];
    for (let round = 0; round < 40 && proxy.cutsLeft() > 0; round++) {
      await Promise.all(
        Array.from({ length: 12 }, async (_, u) => {
          const event = { userId: `lost-${u}`, seconds: round + 1 };
          const ok = await api.usage.recordUsage(event).then(
            () => true,
            () => false,
          );
          outcomes.push({ ...event, ok });
        }),
      );
    }
    expect(proxy.cutsLeft()).toBe(0);
    const rows = await queryRows<{ userId: string; seconds: number; n: number }>(
      db.db,
      sql`SELECT user_id AS "userId", seconds, count(*)::int AS n FROM usagekit.usage_events
        GROUP BY user_id, seconds`,
    );
    const inLedger = new Map(rows.map((r) => [`${r.userId} ${r.seconds}`, r.n]));
    expect(rows.filter((r) => r.n > 1)).toEqual([]);
    const failed = outcomes.filter((o) => !o.ok);
    // The cut statements had committed: their failed events are in the ledger (once).
    expect(
      failed.filter((o) => inLedger.get(`${o.userId} ${o.seconds}`) === 1).length,
    ).toBeGreaterThan(0);
    for (const o of outcomes.filter((o) => o.ok))
      expect([o, inLedger.get(`${o.userId} ${o.seconds}`)]).toEqual([o, 1]);
    expect(await findDrift(db.db, { tiers: defaultTiers })).toEqual([]);
  }, 60_000);
});
