import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import { findDrift } from "../src/record/reconcile";
import { callerFor, dbKinds, newUserId, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-06-15T12:00:00Z");

type Answer = Awaited<ReturnType<ReturnType<typeof useTestDb>["api"]["usage"]["recordUsage"]>>;
/** What a call answered, or the TRPCError it failed with. */
const outcome = async (p: Promise<Answer>) => {
  try {
    return { ok: true as const, value: await p };
  } catch {
    return { ok: false as const, error: await trpcError(p) };
  }
};

// Outside a host's transaction, concurrent single events are committed in groups
// (src/record/group-commit.ts). Every caller must still get the answer it would get alone.
describe.each(dbKinds)("group commit of single events on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW, max: 8 });

  it("answers each of 150 concurrent calls as if alone, and writes them in shared statements", async () => {
    const users = Array.from({ length: 10 }, newUserId);
    const free = newUserId(); // free tier: 3 anki exports, hard limit
    for (const userId of users) await suite.api.usage.setUserPlan({ userId, tier: "plus" });
    const call = (input: Parameters<typeof suite.api.usage.recordUsage>[0]) =>
      outcome(suite.api.usage.recordUsage(input));

    const plain = Array.from({ length: 100 }, (_, i) =>
      call({ userId: users[i % 10]!, conversations: 1, seconds: 10 + i }),
    );
    // The same key twice with the same payload: one recorded, one duplicate.
    const retried = Array.from({ length: 10 }, (_, i) =>
      [1, 2].map(() => call({ userId: users[i]!, idempotencyKey: `r-${i}`, conversations: 2 })),
    ).flat();
    // The same key with two payloads: one recorded, the other CONFLICT.
    const conflicting = Array.from({ length: 5 }, (_, i) =>
      [1, 2].map((n) => call({ userId: users[i]!, idempotencyKey: `c-${i}`, seconds: n * 100 })),
    ).flat();
    // Enforced calls run their own statements, at the same time as the groups.
    const enforced = Array.from({ length: 10 }, () =>
      call({ userId: free, ankiExports: 1, enforceLimits: true }),
    );
    const outOfWindow = Array.from({ length: 10 }, (_, i) =>
      call({ userId: users[i]!, seconds: 5, occurredAt: new Date("2026-04-20T00:00:00Z") }),
    );
    const [p, r, c, e, w] = await Promise.all([
      Promise.all(plain),
      Promise.all(retried),
      Promise.all(conflicting),
      Promise.all(enforced),
      Promise.all(outOfWindow),
    ]);

    expect(p.every((a) => a.ok && a.value.recorded)).toBe(true);
    for (let i = 0; i < 10; i++) {
      const pair = r.slice(2 * i, 2 * i + 2).map((a) => (a.ok ? a.value : null));
      expect(pair.map((a) => a?.recorded).sort()).toEqual([false, true]);
      expect(pair.map((a) => a?.duplicate).sort()).toEqual([false, true]);
    }
    for (let i = 0; i < 5; i++) {
      const pair = c.slice(2 * i, 2 * i + 2);
      expect(pair.filter((a) => a.ok && a.value.recorded)).toHaveLength(1);
      const refused = pair.find((a) => !a.ok);
      expect(refused?.ok === false && refused.error.code).toBe("CONFLICT");
    }
    expect(e.filter((a) => a.ok)).toHaveLength(3);
    for (const a of e.filter((x) => !x.ok)) {
      expect(a.ok === false && a.error.code).toBe("FORBIDDEN");
      expect(a.ok === false && a.error.message).toMatch(/ankiExports/);
    }
    for (const a of w) {
      expect(a.ok === false && a.error.code).toBe("BAD_REQUEST");
      expect(a.ok === false && a.error.message).toMatch(/previous month/);
    }

    // Each answer is its month row right after its own event: no two answers of a user share one.
    const userOf = [
      ...p.map((_, k) => users[k % 10]!),
      ...r.map((_, k) => users[Math.floor(k / 2)]!),
      ...c.map((_, k) => users[Math.floor(k / 2)]!),
    ];
    const recordedRows = [...p, ...r, ...c].map((a, k) =>
      a.ok && a.value.recorded
        ? `${userOf[k]} ${a.value.usage.conversations} ${a.value.usage.seconds}`
        : null,
    );
    const rows = recordedRows.filter((row) => row !== null);
    expect(rows).toHaveLength(100 + 10 + 5);
    expect(new Set(rows).size).toBe(rows.length);

    // Totals are exactly what was answered as recorded, and nothing drifted.
    for (const [i, userId] of users.entries()) {
      const month = await suite.api.usage.getCurrentUsage({ userId });
      const plainSeconds = p.reduce((sum, _, k) => sum + (k % 10 === i ? 10 + k : 0), 0);
      const won = i < 5 ? (c[2 * i]!.ok ? 100 : 200) : 0;
      expect(month.conversations).toBe(10 + 2);
      expect(month.seconds).toBe(plainSeconds + won);
    }
    expect((await suite.api.usage.getCurrentUsage({ userId: free })).ankiExportsUsed).toBe(3);
    const [refusals] = await queryRows<{ n: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS n FROM usagekit.limit_refusals WHERE user_id = ${free}`,
    );
    expect(refusals!.n).toBe(7);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);

    // Fewer transactions than events: ledger rows written by one statement share its xmin.
    const ledger = await queryRows<{ events: number; transactions: number }>(
      suite.handle.db,
      sql`SELECT count(*)::int AS events, count(DISTINCT xmin::text)::int AS transactions
          FROM usagekit.usage_events WHERE user_id IN ${[...users, free]}`,
    );
    expect(ledger[0]!.events).toBe(100 + 10 + 5 + 3);
    expect(ledger[0]!.transactions).toBeLessThan(ledger[0]!.events / 4);
  });

  it("lets an event that fails inside a group fail alone, and records the rest", async () => {
    // A host's trigger that refuses some rows: the failure belongs to those events only.
    const db = suite.handle.db;
    await db.execute(sql`CREATE FUNCTION public.poison_check() RETURNS trigger LANGUAGE plpgsql
      AS $$ BEGIN IF NEW.user_id LIKE 'poison-%' THEN RAISE EXCEPTION 'poisoned'; END IF;
      RETURN NEW; END $$`);
    await db.execute(sql`CREATE TRIGGER poison BEFORE INSERT ON usagekit.usage_events
      FOR EACH ROW EXECUTE FUNCTION public.poison_check()`);
    try {
      const logged: string[] = [];
      const api = callerFor(suite.handle, {
        now: () => NOW,
        logError: (e) => logged.push(e.errorId),
      });
      const healthy = Array.from({ length: 60 }, newUserId);
      const poisoned = Array.from({ length: 3 }, () => `poison-${newUserId()}`);
      const order = [...healthy.slice(0, 30), ...poisoned, ...healthy.slice(30)];
      const answers = await Promise.all(
        order.map((userId) => outcome(api.usage.recordUsage({ userId, conversations: 1 }))),
      );
      const byUser = new Map(order.map((userId, i) => [userId, answers[i]]));
      for (const userId of healthy) expect(byUser.get(userId)).toMatchObject({ ok: true });
      for (const userId of poisoned) {
        const a = byUser.get(userId)!;
        expect(a.ok === false && a.error.code).toBe("INTERNAL_SERVER_ERROR");
      }
      expect(logged).toHaveLength(3);
      const [rows] = await queryRows<{ healthy: number; poisoned: number }>(
        db,
        sql`SELECT count(*) FILTER (WHERE user_id NOT LIKE 'poison-%')::int AS healthy,
            count(*) FILTER (WHERE user_id LIKE 'poison-%')::int AS poisoned
            FROM usagekit.usage_events WHERE user_id IN ${[...healthy, ...poisoned]}`,
      );
      expect(rows).toEqual({ healthy: 60, poisoned: 0 });
      expect(await findDrift(db, { tiers: defaultTiers })).toEqual([]);
    } finally {
      await db.execute(sql`DROP TRIGGER poison ON usagekit.usage_events`);
      await db.execute(sql`DROP FUNCTION public.poison_check()`);
    }
  });
});
