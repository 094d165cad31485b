import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createCaller, createTRPCContext } from "../src";
import type { Tiers } from "../src";
import { consoleErrorLogger } from "../src/transport/masking";
import { callerFor, dbKinds, newUserId, useServer, useTestDb } from "./db";
import { rowCounts, trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const TOKEN = "review-test-service-token-0123456789";

/** The defects a review of the house found, each pinned by a test that failed before its fix. */
describe.each(dbKinds)("review defects on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 8 });

  it("answers text that looks like a timestamp as text (values are typed by column type)", async () => {
    const userId = "2026-11-01 00:00:00+01";
    const plan = await suite.api.usage.setUserPlan({ userId, tier: "plus" });
    expect(plan.id).toBe(userId);
    expect(plan.createdAt).toBeInstanceOf(Date);
    const [batch] = (
      await suite.api.usage.recordUsageBatch({ events: [{ userId, seconds: 5, conversations: 1 }] })
    ).results;
    expect(batch).toMatchObject({ status: "recorded", usage: { periodStart: expect.any(Date) } });
  });

  it("refuses zone names PostgreSQL's files know that are not IANA zones, writing nothing", async () => {
    const before = await rowCounts(suite.handle.db);
    for (const timezone of [
      "localtime",
      "posixrules",
      "Factory",
      "posix/Europe/Berlin",
      "right/UTC",
    ]) {
      const error = await trpcError(
        suite.api.usage.setUserPlan({ userId: newUserId(), tier: "free", timezone }),
      );
      expect([timezone, error.code, error.message]).toEqual([
        timezone,
        "BAD_REQUEST",
        expect.stringContaining("timezone"),
      ]);
    }
    expect(await rowCounts(suite.handle.db)).toEqual(before);
    const ok = await suite.api.usage.setUserPlan({
      userId: newUserId(),
      tier: "free",
      timezone: "europe/berlin",
    });
    expect(ok.timezone).toBe("Europe/Berlin");
  });

  it("groups the events of contexts built per request (lanes keyed by the tier table's content)", async () => {
    const users = Array.from({ length: 40 }, newUserId);
    // A host that builds its context per request, with a tier table object of its own each time.
    const perRequest = () =>
      createCaller(
        createTRPCContext({
          db: suite.handle.db,
          auth: { type: "service" },
          now: () => NOW,
          tiers: structuredClone(defaultTable) as Tiers,
        }),
      );
    await Promise.all(
      users.map((userId) => perRequest().usage.recordUsage({ userId, seconds: 7 })),
    );
    const [row] = await queryRows<{ events: number; transactions: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS events, count(DISTINCT xmin::text)::int AS transactions
        FROM usagekit.usage_events WHERE user_id IN (${sql.join(
          users.map((u) => sql`${u}`),
          sql`, `,
        )})`,
    );
    expect(row!.events).toBe(40);
    expect(row!.transactions).toBeLessThan(30);
  });

  it("logs the database's own error (message, SQLSTATE, constraint) behind an errorId", async () => {
    const logged: string[] = [];
    const spy = vi
      .spyOn(console, "error")
      .mockImplementation((line: string) => void logged.push(line));
    try {
      await suite.handle.db.execute(
        sql`ALTER TABLE usagekit.payments ADD CONSTRAINT review_small CHECK (amount < 5)`,
      );
      const api = callerFor(suite.handle, { now: () => NOW, logError: consoleErrorLogger });
      const error = await trpcError(
        api.usage.recordPayment({
          userId: newUserId(),
          tier: "plus",
          amount: "9.99",
          paidAt: NOW,
          idempotencyKey: "review-pay",
        }),
      );
      expect(error.code).toBe("INTERNAL_SERVER_ERROR");
      const entry = JSON.parse(logged.find((l) => l.includes("usagekit: internal error"))!) as {
        errorId: string;
        database: { code: string; constraint: string; message: string };
      };
      expect(error.message).toContain(entry.errorId);
      expect(entry.database).toMatchObject({ code: "23514", constraint: "review_small" });
      expect(entry.database.message).toContain("review_small");
    } finally {
      spy.mockRestore();
      await suite.handle.db.execute(
        sql`ALTER TABLE usagekit.payments DROP CONSTRAINT IF EXISTS review_small`,
      );
    }
  });
});

const defaultTable = (await import("../src")).defaultTiers;

describe.each(dbKinds)("error bodies over HTTP on %s", (kind) => {
  const server = useServer(kind, { serviceToken: TOKEN });

  it("carry limitExceeded only on a limit refusal", async () => {
    const post = (path: string, input: unknown) =>
      fetch(`${server.url}/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ json: input }),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error?: { json: { data: object } } },
      }));
    const userId = newUserId();
    const bad = await post("usage.recordUsage", { userId, seconds: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error!.json.data).not.toHaveProperty("limitExceeded");
    expect(bad.body.error!.json.data).toHaveProperty("zodError");
    const forbidden = await fetch(`${server.url}/usage.setUserPlan`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(forbidden.status).toBe(401);
    expect(JSON.stringify(await forbidden.json())).not.toContain("limitExceeded");
    for (let i = 0; i < 3; i++)
      await post("usage.recordUsage", { userId, ankiExports: 1, enforceLimits: true });
    const refused = await post("usage.recordUsage", {
      userId,
      ankiExports: 1,
      enforceLimits: true,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error!.json.data).toMatchObject({
      limitExceeded: { feature: "ankiExports", used: 3, limit: 3, requested: 1 },
    });
    expect(refused.body.error!.json.data).not.toHaveProperty("zodError");
  });
});
