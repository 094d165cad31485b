import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import type { AppRouter } from "../src";
import { dbKinds, newUserId, useServer } from "./db";
import { startPgliteServer } from "./process";

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
  const suite = useServer(kind, { serviceToken: TOKEN });

  it("answers the official tRPC client with the service token", async () => {
    const api = clientFor(suite.url, TOKEN);
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
    const api = clientFor(suite.url, TOKEN);
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
        clientFor(suite.url, token).usage.getCurrentUsage.query({ userId: newUserId() }),
      );
      expect(error.data?.code).toBe("UNAUTHORIZED");
    }
  });

  it("refuses a body over 1 MB with 413 before parsing it", async () => {
    const body = JSON.stringify({
      json: { userId: newUserId(), seconds: 1, pad: "x".repeat(1_100_000) },
    });
    const response = await fetch(`${suite.url}/usage.recordUsage`, {
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
    const server = await startPgliteServer(TOKEN);
    try {
      const api = clientFor(server.url, TOKEN);
      const result = await api.usage.recordUsage.mutate({ userId: newUserId(), conversations: 1 });
      expect(result.recorded).toBe(true);
    } finally {
      await server.stop();
    }
  });
});
