import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openTestDb } from "./db";
import { freePort, spawnServer, startPgliteServer } from "./process";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const TOKEN = "startup-test-service-token-0123456789";

/** The server with the suite's token, not waited for. */
const spawnWithToken = (env: Record<string, string>) =>
  spawnServer({ USAGE_SERVICE_TOKEN: TOKEN, ...env });

/** A TCP forwarder to PostgreSQL on `port`, opened only when called: the database "comes up". */
function forwardTo(port: number, target: URL): Promise<Server> {
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve) => proxy.listen(port, "127.0.0.1", () => resolve(proxy)));
}

describe("the standalone server's start", () => {
  it.runIf(DATABASE_URL)(
    "waits for a PostgreSQL that is not up yet, answering /healthz 503, then serves",
    async () => {
      const db = await openTestDb("postgres");
      const dbPort = await freePort();
      const url = new URL(db.url!);
      const late = new URL(db.url!);
      late.port = String(dbPort);
      const port = await freePort();
      const server = spawnWithToken({ DATABASE_URL: late.toString(), PORT: String(port) });
      let proxy: Server | undefined;
      try {
        await server.printed("waiting for the database", 20_000);
        await server.printed("attempt 2", 20_000);
        const early = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(early.status).toBe(503);
        const call = await fetch(`http://127.0.0.1:${port}/api/trpc/usage.getLifetimeStats`);
        expect(call.status).toBe(503);
        proxy = await forwardTo(dbPort, url);
        await server.printed("usagekit API on", 30_000);
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
        const lines = server
          .output()
          .split("\n")
          .filter((l) => l.includes("waiting for the database"));
        expect(lines.length).toBeGreaterThanOrEqual(2);
        // One line per attempt, naming the address and the driver's code, no stack or SQL.
        for (const line of lines)
          expect(line).toMatch(
            /^usagekit: waiting for the database at 127\.0\.0\.1:\d+ \(ECONNREFUSED, attempt \d+\)$/,
          );
        expect(server.output()).not.toMatch(/DrizzleQueryError|Failed query| {4}at /);
        expect(server.child.exitCode).toBeNull();
      } finally {
        server.kill();
        proxy?.close();
        await db.close();
      }
    },
    90_000,
  );

  it("refuses a second process on a live PGlite folder with one clear line and exit 1", async () => {
    const first = await startPgliteServer(TOKEN);
    try {
      const second = spawnWithToken({
        DATABASE_URL: "",
        USAGE_DATA_DIR: first.dataDir,
        PORT: String(await freePort()),
      });
      const code = await second.exited();
      expect(code).toBe(1);
      const lines = second.output().trim().split("\n");
      expect(lines).toEqual([
        `usagekit: cannot start: data folder ${first.dataDir} in use by pid ${first.child.pid}: stop that process first`,
      ]);
    } finally {
      await first.stop();
    }
  }, 60_000);

  it("exits with one line when its data folder cannot be opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "usagekit-bad-"));
    try {
      // A file where the data folder should be.
      writeFileSync(join(dir, "file"), "");
      const server = spawnWithToken({
        DATABASE_URL: "",
        USAGE_DATA_DIR: join(dir, "file", "pglite"),
      });
      expect(await server.exited()).toBe(1);
      expect(server.output().trim().split("\n")).toHaveLength(1);
      expect(server.output()).toMatch(/^usagekit: cannot start: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
