import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { createUsageServer } from "../src/transport/server";
import { batchCall } from "./auth-matrix";
import { dbKinds, listen, newUserId, openTestDb, useServer } from "./db";
import { rowCounts } from "./helpers";
import { startPgliteServer, startServer } from "./process";

const TOKEN = "ops-test-service-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const body = (input: unknown) => JSON.stringify({ json: input });

describe.each(dbKinds)("standalone server operations on %s", (kind) => {
  const suite = useServer(kind, { serviceToken: TOKEN, requestTimeoutMs: 1500 });

  it("answers 413 that Node's fetch and curl can read, declared and chunked", async () => {
    const big = body({ userId: "u", seconds: 1, pad: "x".repeat(5_000_000) });
    const declared = await fetch(`${suite.url}/usage.recordUsage`, {
      method: "POST",
      headers: auth,
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(await declared.text()).toContain("PAYLOAD_TOO_LARGE");
    const bytes = new TextEncoder().encode(big);
    const chunked = await fetch(`${suite.url}/usage.recordUsage`, {
      method: "POST",
      headers: auth,
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 65_536)
            controller.enqueue(bytes.slice(i, i + 65_536));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const dir = mkdtempSync(join(tmpdir(), "usagekit-413-"));
    try {
      writeFileSync(join(dir, "big.json"), big);
      for (const chunkedCurl of [false, true]) {
        const { stdout } = await promisify(execFile)("curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "-H",
          `authorization: Bearer ${TOKEN}`,
          "-H",
          "content-type: application/json",
          ...(chunkedCurl ? ["-H", "transfer-encoding: chunked"] : []),
          "--data-binary",
          `@${join(dir, "big.json")}`,
          `${suite.url}/usage.recordUsage`,
        ]);
        expect(stdout).toBe("413");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("caps tRPC batching at 50 calls", async () => {
    const userId = newUserId();
    const batch = (n: number) => batchCall(suite.url, "usage.getCurrentUsage", n, { userId }, auth);
    expect((await batch(50)).status).toBe(200);
    const over = await batch(51);
    expect(over.status).toBe(400);
    expect(await over.text()).toContain("BAD_REQUEST");
  });

  it("closes slow and idle sockets, and a slow client does not hold up the others", async () => {
    const port = Number(new URL(suite.origin).port);
    const closed: boolean[] = [];
    const slow = Array.from({ length: 100 }, () => {
      const socket = connect(port, "127.0.0.1");
      const done = new Promise<void>((resolve) =>
        socket.on("close", () => (closed.push(true), resolve())),
      );
      socket.on("error", () => {});
      socket.write(
        `POST /api/trpc/usage.recordUsage HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`,
      );
      const trickle = setInterval(() => socket.write(" "), 100);
      return done.finally(() => clearInterval(trickle));
    });
    // Meanwhile ordinary callers are answered.
    const userId = newUserId();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${suite.url}/usage.recordUsage`, {
        method: "POST",
        headers: auth,
        body: body({ userId, seconds: 1, idempotencyKey: `k${i}` }),
      });
      expect(response.status).toBe(200);
    }
    expect(closed.length).toBe(0);
    // The request timeout (1.5 s here) ends every slow body.
    await Promise.all(slow);
    expect(closed.length).toBe(100);
  });

  it("masks an internal error over HTTP and reports the database in /healthz", async () => {
    expect((await fetch(`${suite.origin}/healthz`)).status).toBe(200);
    const broken = await openTestDb(kind);
    await broken.close();
    const logged: string[] = [];
    const down = createUsageServer({
      db: broken.db,
      serviceToken: TOKEN,
      logError: (e) => logged.push(e.errorId),
    });
    const downBase = await listen(down);
    try {
      expect((await fetch(`${downBase}/healthz`)).status).toBe(503);
      const response = await fetch(`${downBase}/api/trpc/usage.recordUsage`, {
        method: "POST",
        headers: auth,
        body: body({ userId: "secret-user-7", seconds: 1, idempotencyKey: "secret-key-9" }),
      });
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toMatch(/select|insert|failed query|params|secret-|stack|\.ts:/i);
      const { error } = JSON.parse(text) as { error: { json: { data: { errorId: string } } } };
      expect(logged).toEqual([error.json.data.errorId]);
    } finally {
      await new Promise((resolve) => down.close(resolve));
    }
  });

  it("refuses a __proto__ key over HTTP and writes nothing", async () => {
    const before = await rowCounts(suite.handle.db);
    const response = await fetch(`${suite.url}/usage.recordUsage`, {
      method: "POST",
      headers: auth,
      body: `{"json":{"userId":"p1","seconds":1,"__proto__":{"enforceLimits":false}}}`,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("__proto__");
    expect(await rowCounts(suite.handle.db)).toEqual(before);
  });
});

describe("the server process", () => {
  it("finishes in-flight work and exits on SIGTERM under keep-alive load", async () => {
    const server = await startPgliteServer(TOKEN);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const statuses: number[] = [];
    let running = true;
    const call = (i: number) =>
      new Promise<void>((resolve) => {
        const req = request(
          `${server.url}/usage.recordUsage`,
          { method: "POST", agent, headers: auth },
          (res) => {
            statuses.push(res.statusCode!);
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", () => resolve()); // refused after the stop: not an answer
        req.end(body({ userId: `term-${i % 8}`, seconds: 1, idempotencyKey: `t${i}` }));
      });
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; running; i += 8) await call(i);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stoppedAt = Date.now();
    server.child.kill("SIGTERM");
    const code = await server.exited();
    const tookMs = Date.now() - stoppedAt;
    running = false;
    await load;
    agent.destroy();
    await server.stop();
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(12_000); // the shutdown deadline is 10 s
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(server.output()).toContain("SIGTERM");
  });

  it("refuses a second process on a PGlite folder in use, naming its pid", async () => {
    const server = await startPgliteServer(TOKEN);
    try {
      const second = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "scripts/reconcile.ts"],
        {
          env: { ...process.env, DATABASE_URL: "", USAGE_DATA_DIR: server.dataDir },
        },
      ).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`in use by pid ${server.child.pid}`);
      expect(second.stderr).not.toContain("RuntimeError");
    } finally {
      await server.stop();
    }
  });

  it.runIf(dbKinds.includes("postgres"))(
    "runs on USAGE_WORKERS processes, replaces a dead one, and stops them all on SIGTERM",
    async () => {
      const db = await openTestDb("postgres");
      const server = await startServer({
        DATABASE_URL: db.url!,
        USAGE_SERVICE_TOKEN: TOKEN,
        USAGE_WORKERS: "2",
      });
      const children = async () =>
        (
          await promisify(execFile)("pgrep", [
            "-P",
            String(server.child.pid),
            "-f",
            "src/main.ts",
          ]).then(
            (r) => r.stdout,
            () => "",
          )
        )
          .split("\n")
          .filter(Boolean)
          .map(Number);
      const record = (i: number) =>
        fetch(`${server.url}/usage.recordUsage`, {
          method: "POST",
          headers: { ...auth, connection: "close" },
          body: body({ userId: `w${i % 5}`, seconds: 1, idempotencyKey: `w${i}` }),
        }).then((r) => r.status);
      try {
        expect(server.output()).toContain("2 workers");
        const workers = await children();
        expect(workers).toHaveLength(2);
        expect(await Promise.all(Array.from({ length: 100 }, (_, i) => record(i)))).toEqual(
          Array(100).fill(200),
        );
        process.kill(workers[0]!, "SIGKILL");
        await expect.poll(children, { timeout: 20_000 }).toHaveLength(2);
        expect((await children()).includes(workers[0]!)).toBe(false);
        expect(await Promise.all(Array.from({ length: 50 }, (_, i) => record(100 + i)))).toEqual(
          Array(50).fill(200),
        );
        const [row] = await queryRows<{ n: number }>(
          db.db,
          sql`SELECT count(*)::int AS n FROM usagekit.usage_events`,
        );
        expect(row!.n).toBe(150);
        server.child.kill("SIGTERM");
        expect(await server.exited()).toBe(0);
        expect(await children()).toEqual([]);
      } finally {
        server.kill();
        await db.close();
      }
    },
  );

  it("refuses USAGE_WORKERS > 1 on PGlite with a clear message", async () => {
    const failed = await startServer({ DATABASE_URL: "", USAGE_WORKERS: "2" }).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(failed).toContain("USAGE_WORKERS > 1 needs DATABASE_URL");
  });
});
