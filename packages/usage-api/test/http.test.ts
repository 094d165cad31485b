import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@usagekit/db";
import type { AppRouter } from "../src";
import { createUsageServer } from "../src/server";
import { dbKinds, newUserId, openTestDb } from "./db";

const TOKEN = "http-test-service-token-42";

const clientFor = (url: string, token?: string) =>
  createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url,
        transformer: superjson,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });

async function clientError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return error as TRPCClientError<AppRouter>;
}

describe.each(dbKinds)("standalone HTTP server on %s", (kind) => {
  let handle: DbHandle;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    handle = await openTestDb(kind);
    server = createUsageServer({ db: handle.db, serviceToken: TOKEN });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await handle.close();
  });

  it("answers the official tRPC client with the service token", async () => {
    const api = clientFor(url, TOKEN);
    const userId = newUserId();
    await api.usage.setUserPlan.mutate({ userId, tier: "plus", timezone: "Europe/Berlin" });
    const result = await api.usage.recordUsage.mutate({
      userId,
      seconds: 120,
      conversations: 1,
      idempotencyKey: "h1",
    });
    expect(result).toMatchObject({ recorded: true, usage: { seconds: 120, tierWhenUsed: "plus" } });
    expect(result.period.start).toBeInstanceOf(Date);
    const check = await api.usage.canUseFeature.query({ userId, feature: "seconds" });
    expect(check).toMatchObject({ allowed: true, overage: true, used: 120 });
    expect(check.resetsAt).toBeInstanceOf(Date);
    const paid = await api.usage.recordPayment.mutate({
      userId,
      tier: "plus",
      amount: "9.99",
      paidAt: new Date(),
      idempotencyKey: "p1",
    });
    expect(paid.totalRevenue).toBe("9.99");
    expect((await api.usage.getLifetimeStats.query({ userId })).totalSeconds).toBe(120);
  });

  it("carries limitExceeded and flattened zod errors in the error data", async () => {
    const api = clientFor(url, TOKEN);
    const userId = newUserId();
    await api.usage.recordUsage.mutate({ userId, ankiExports: 3 });
    const refused = await clientError(
      api.usage.recordUsage.mutate({ userId, ankiExports: 1, enforceLimits: true }),
    );
    expect(refused.data?.code).toBe("FORBIDDEN");
    expect(refused.data?.limitExceeded).toEqual({
      feature: "ankiExports",
      used: 3,
      limit: 3,
      requested: 1,
    });
    const bad = await clientError(api.usage.recordUsage.mutate({ userId, seconds: -1 }));
    expect(bad.data?.code).toBe("BAD_REQUEST");
    expect(bad.message).toContain("seconds");
    expect(bad.data?.zodError?.fieldErrors).toHaveProperty("seconds");
  });

  it("refuses a wrong or missing token with UNAUTHORIZED", async () => {
    for (const token of [undefined, "wrong-token-wrong-token-wrong"]) {
      const error = await clientError(
        clientFor(url, token).usage.getCurrentUsage.query({ userId: newUserId() }),
      );
      expect(error.data?.code).toBe("UNAUTHORIZED");
    }
  });

  it("refuses a body over 1 MB with 413 before parsing it", async () => {
    const body = JSON.stringify({
      json: { userId: newUserId(), seconds: 1, pad: "x".repeat(1_100_000) },
    });
    const response = await fetch(`${url}/usage.recordUsage`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body,
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain("PAYLOAD_TOO_LARGE");
  });
});

describe("pnpm start", () => {
  it("serves the app router on PORT with a migrated embedded database", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "usagekit-start-"));
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    const child = spawn("pnpm", ["exec", "tsx", "src/main.ts"], {
      env: {
        ...process.env,
        DATABASE_URL: "",
        PORT: String(port),
        USAGE_DATA_DIR: dataDir,
        USAGE_SERVICE_TOKEN: TOKEN,
      },
      stdio: ["ignore", "pipe", "inherit"],
      detached: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on(
          "data",
          (chunk: Buffer) => chunk.toString().includes("usagekit API on") && resolve(),
        );
        child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
      });
      const api = clientFor(`http://127.0.0.1:${port}/api/trpc`, TOKEN);
      const result = await api.usage.recordUsage.mutate({ userId: newUserId(), conversations: 1 });
      expect(result.recorded).toBe(true);
    } finally {
      process.kill(-child.pid!, "SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
