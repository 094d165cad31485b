import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliverDueWebhooks, verifyWebhook } from "../src";
import { signWebhook } from "../src/alerts/signature";
import { backoffMs } from "../src/alerts/webhooks";
import { callerFor, dbKinds, listen, newUserId, useTestDb } from "./db";

const SECRET = "whsec-test-0123456789abcdef";

/** A receiver on loopback: answers each POST as `next()` says, and keeps what it got. */
function receiver() {
  const got: { body: string; signature: string }[] = [];
  let next: () => "fail" | "hang" | "ok" = () => "ok";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      got.push({ body, signature: String(req.headers["usagekit-signature"]) });
      const answer = next();
      if (answer === "ok") res.writeHead(204).end();
      else if (answer === "fail") res.writeHead(500).end("down");
      else setTimeout(() => res.writeHead(204).end(), 1_000); // slower than the sender waits
    });
  });
  return {
    server,
    got,
    answer: (f: typeof next) => (next = f),
  };
}

describe("verifyWebhook", () => {
  const body = '{"id":1}';
  const now = new Date("2026-11-15T12:00:00Z");
  const t = Math.floor(now.getTime() / 1000);
  it("accepts what the server signs, and nothing else", () => {
    expect(verifyWebhook(body, signWebhook(body, SECRET, t), SECRET, now)).toBe(true);
    expect(verifyWebhook(body, signWebhook(body, SECRET, t), "another-secret-0123", now)).toBe(
      false,
    );
    expect(verifyWebhook('{"id":2}', signWebhook(body, SECRET, t), SECRET, now)).toBe(false);
    expect(verifyWebhook(body, signWebhook(body, SECRET, t - 301), SECRET, now)).toBe(false);
    expect(verifyWebhook(body, signWebhook(body, SECRET, t - 299), SECRET, now)).toBe(true);
    // Exactly 5 minutes old is still accepted; from the future by more than that is not.
    expect(verifyWebhook(body, signWebhook(body, SECRET, t - 300), SECRET, now)).toBe(true);
    expect(verifyWebhook(body, signWebhook(body, SECRET, t + 301), SECRET, now)).toBe(false);
    // The timestamp is signed: the same v1 under another t is refused.
    const v1 = signWebhook(body, SECRET, t).split("v1=")[1]!;
    expect(verifyWebhook(body, `t=${t + 1},v1=${v1}`, SECRET, now)).toBe(false);
    // No secret verifies nothing, even a header made with none.
    expect(verifyWebhook(body, signWebhook(body, "", t), "", now)).toBe(false);
    for (const header of [
      undefined,
      "",
      "t=1",
      `t=${t},v1=zz`,
      `t=${t},v1=abcd`,
      `t=${t},v1=${"ab".repeat(33)}`,
      `v1=${"0".repeat(64)}`,
    ])
      expect(verifyWebhook(body, header, SECRET, now)).toBe(false);
  });
});

describe("backoffMs", () => {
  it("doubles from 10 s and stops at an hour", () => {
    expect([1, 2, 3, 9, 10, 20].map(backoffMs)).toEqual([
      10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000,
    ]);
  });
});

describe.each(dbKinds)("alert webhooks on %s", (kind) => {
  const suite = useTestDb(kind);
  const hook = receiver();
  let url = "";
  beforeAll(async () => {
    url = await listen(hook.server);
  });
  afterAll(() => new Promise((resolve) => hook.server.close(resolve)));
  const state = (userId: string) =>
    queryRows<{ attempts: number; delivered: boolean; lastError: string | null }>(
      suite.handle.db,
      sql`SELECT attempts, delivered_at IS NOT NULL AS delivered, last_error AS "lastError"
        FROM usagekit.alerts WHERE user_id = ${userId} ORDER BY id`,
    );

  it("retries with backoff through failures and a timeout until delivered, signed", async () => {
    const userId = newUserId();
    await callerFor(suite.handle).usage.recordUsage({ userId, ankiExports: 3 });
    hook.got.length = 0;
    const start = Date.now();
    const round = (afterMs: number) =>
      deliverDueWebhooks(suite.handle.db, {
        url,
        secret: SECRET,
        now: () => new Date(start + afterMs),
        timeoutMs: 300,
      });
    hook.answer(() => "fail");
    expect(await round(0)).toBe(2); // the 80 % and 100 % alerts
    expect((await state(userId)).map((s) => s.attempts)).toEqual([1, 1]);
    expect(await round(5_000)).toBe(0); // not due before 10 s
    hook.answer(() => "hang");
    expect(await round(10_000)).toBe(2);
    expect((await state(userId))[0]!.lastError).toMatch(/abort|timeout/i);
    expect(await round(20_000)).toBe(0); // the second wait is 20 s
    hook.answer(() => "ok");
    expect(await round(30_000)).toBe(2);
    expect(await state(userId)).toEqual([
      { attempts: 3, delivered: true, lastError: null },
      { attempts: 3, delivered: true, lastError: null },
    ]);
    expect(await round(3_600_000)).toBe(0);
    // Every POST carried the same two alerts, signed by the server's secret at its clock.
    const ids = hook.got.map((g) => (JSON.parse(g.body) as { id: number }).id);
    expect(new Set(ids).size).toBe(2);
    expect(hook.got).toHaveLength(6);
    const last = hook.got.at(-1)!;
    expect(verifyWebhook(last.body, last.signature, SECRET, new Date(start + 30_000))).toBe(true);
    const sent = JSON.parse(last.body) as { month: string; runsOutOn: string | null };
    expect(sent).toMatchObject({
      type: "usage.alert",
      userId,
      feature: "ankiExports",
      limit: 3,
      used: 3,
    });
    // Where the learner's pace takes the feature when it was sent (used up: that day).
    const forecast = await callerFor(suite.handle, {
      now: () => new Date(start + 30_000),
    }).usage.getForecast({ userId });
    expect(sent.runsOutOn).toBe(
      forecast.month === sent.month ? forecast.features.ankiExports!.reachesLimitOn : null,
    );
  });

  it("gives up after 24 hours", async () => {
    const userId = newUserId();
    await callerFor(suite.handle).usage.recordUsage({ userId, ankiExports: 3 });
    const [raised] = await queryRows<{ ms: number }>(
      suite.handle.db,
      sql`SELECT max(extract(epoch FROM created_at) * 1000)::float8 AS ms FROM usagekit.alerts
        WHERE user_id = ${userId}`,
    );
    const round = (afterMs: number) =>
      deliverDueWebhooks(suite.handle.db, {
        url,
        secret: SECRET,
        now: () => new Date(Math.ceil(raised!.ms) + afterMs),
      });
    hook.answer(() => "ok");
    expect(await round(24 * 3600 * 1000)).toBe(0); // 24 hours after: no more attempts
    expect((await state(userId)).map((s) => s.delivered)).toEqual([false, false]);
    hook.answer(() => "fail");
    expect(await round(24 * 3600 * 1000 - 60_000)).toBe(2); // a minute before: still tried
  });

  it("never delivers one alert twice from two processes at once", async () => {
    const users = Array.from({ length: 10 }, () => newUserId());
    for (const userId of users)
      await callerFor(suite.handle).usage.recordUsage({ userId, ankiExports: 3 });
    hook.got.length = 0;
    hook.answer(() => "ok");
    const options = { url, secret: SECRET, batch: 100 };
    await Promise.all([
      deliverDueWebhooks(suite.handle.db, options),
      deliverDueWebhooks(suite.handle.db, options),
    ]);
    const ids = hook.got.map((g) => (JSON.parse(g.body) as { id: number }).id);
    expect(ids).toHaveLength(new Set(ids).size);
    const [left] = await queryRows<{ n: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n FROM usagekit.alerts WHERE delivered_at IS NULL
        AND user_id IN (${sql.join(
          users.map((u) => sql`${u}`),
          sql`, `,
        )})`,
    );
    expect(left).toEqual({ n: 0 });
  });
});
