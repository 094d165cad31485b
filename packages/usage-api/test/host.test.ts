import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { promisify } from "node:util";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { initTRPC } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  appRouter,
  createCaller,
  createTRPCContext,
  usageErrorFormatter,
  usageRouter,
  usageTransformer,
} from "../src";
import type { AppRouter } from "../src";
import { dbKinds, listen, openTestDb, useTestDb } from "./db";
import { trpcError } from "./helpers";

const NOW = new Date("2026-11-15T12:00:00Z");
const service = (db: Db) =>
  createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => NOW }));

async function hostTables(db: Db) {
  await db.execute(sql`CREATE TABLE IF NOT EXISTS public.users (id text PRIMARY KEY, email text)`);
  await db.execute(
    sql`CREATE TABLE IF NOT EXISTS public.lessons (id serial PRIMARY KEY, user_id text NOT NULL, title text NOT NULL)`,
  );
}
const lessonCount = async (db: Db, userId: string) => {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM public.lessons WHERE user_id = ${userId}`,
  );
  return row!.n;
};

describe("importing usagekit into a host", () => {
  it("reads no environment: a host's own DATABASE_URL of another scheme is no concern", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `for (const m of ["./src/index.ts", "./src/transport/server.ts", "./src/limits/tiers.ts", "@usagekit/db", "@usagekit/db/schema", "@usagekit/db/catalog"]) await import(m);
         console.log("imported");`,
      ],
      {
        cwd: `${import.meta.dirname}/..`,
        env: {
          ...process.env,
          DATABASE_URL: "prisma+postgres://accelerate.example/?api_key=x",
          USAGE_SERVICE_TOKEN: "x",
          PORT: "not-a-port",
        },
      },
    );
    expect(stdout.trim()).toBe("imported");
  });

  it("merges into the host's router with t.mergeRouters", async () => {
    const t = initTRPC.context<ReturnType<typeof createTRPCContext>>().create({
      transformer: usageTransformer,
      errorFormatter: usageErrorFormatter,
    });
    const host = t.router({ hello: t.procedure.query(() => "hi") });
    const merged = t.mergeRouters(host, appRouter);
    const handle = await openTestDb("pglite");
    try {
      const caller = t.createCallerFactory(merged)(
        createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => NOW }),
      );
      expect(await caller.hello()).toBe("hi");
      await caller.usage.recordUsage({ userId: "user_merged", conversations: 1 });
      expect((await caller.usage.getCurrentUsage({ userId: "user_merged" })).conversations).toBe(1);
    } finally {
      await handle.close();
    }
  });
});

describe.each(dbKinds)("usagekit embedded in a host app on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });

  it("takes the host's own ids: Clerk-style, numeric, UUID", async () => {
    for (const userId of ["user_2abc", "42", "6f1c2a4e-1111-4000-8000-000000000001"]) {
      await suite.api.usage.recordUsage({ userId, conversations: 1 });
      expect((await suite.api.usage.getCurrentUsage({ userId })).conversations).toBe(1);
    }
    expect(() => createTRPCContext({ db: suite.handle.db, userId: "bad\u0000id" })).toThrow(
      /userId/,
    );
  });

  it("inside the host's transaction: a refusal is FORBIDDEN and the transaction goes on", async () => {
    const db = suite.handle.db;
    await hostTables(db);
    const userId = "user_tx_refusal";
    await db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO public.lessons (user_id, title) VALUES (${userId}, 'one')`);
      const api = service(tx as unknown as Db);
      await api.usage.recordUsage({ userId, ankiExports: 3, enforceLimits: true });
      const refused = await trpcError(
        api.usage.recordUsage({ userId, ankiExports: 1, enforceLimits: true, idempotencyKey: "x" }),
      );
      expect(refused.code).toBe("FORBIDDEN");
      expect(refused.cause).toMatchObject({
        limitExceeded: { feature: "ankiExports", used: 3, limit: 3, requested: 1 },
      });
      // The host's transaction is usable: its own writes and more usagekit calls go on.
      await tx.execute(sql`INSERT INTO public.lessons (user_id, title) VALUES (${userId}, 'two')`);
      await api.usage.recordUsage({ userId, conversations: 1, enforceLimits: true });
      // Every other procedure works in it too.
      await api.usage.canUseFeature({ userId, feature: "ankiExports" });
      await api.usage.getLifetimeStats({ userId });
      await api.usage.getUsageHistory({ userId });
      await api.usage.getMilestones({ userId });
      expect(
        (await trpcError(api.usage.setUserPlan({ userId, tier: "plus", timezone: "+05:00" }))).code,
      ).toBe("BAD_REQUEST");
      await api.usage.setUserPlan({ userId, tier: "plus", timezone: "Europe/Berlin" });
      const pay = {
        userId,
        tier: "plus" as const,
        amount: "9.99",
        paidAt: NOW,
        idempotencyKey: "p1",
      };
      await api.usage.recordPayment(pay);
      expect((await trpcError(api.usage.recordPayment({ ...pay, amount: "19.99" }))).code).toBe(
        "CONFLICT",
      );
      const month = "2026-11";
      await api.analytics.featureAdoption({ month });
      await api.analytics.userSegments({ month });
      await api.analytics.retention({ fromMonth: "2026-09", months: 3 });
      await api.analytics.dropOff({ month });
      await api.analytics.upgradeCandidates({ month });
      await api.analytics.overage({ month });
      await tx.execute(
        sql`INSERT INTO public.lessons (user_id, title) VALUES (${userId}, 'three')`,
      );
    });
    expect(await lessonCount(db, userId)).toBe(3);
    const usage = await suite.api.usage.getCurrentUsage({ userId });
    expect(usage).toMatchObject({ ankiExportsUsed: 3, conversations: 1, tier: "plus" });
    expect((await suite.api.usage.getLifetimeStats({ userId })).totalRevenue).toBe("9.99");
  });

  it("a host that rolls back takes usagekit's writes with it", async () => {
    const db = suite.handle.db;
    await hostTables(db);
    const userId = "user_tx_rollback";
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO public.lessons (user_id, title) VALUES (${userId}, 'x')`);
        await service(tx as unknown as Db).usage.recordUsage({ userId, conversations: 1 });
        throw new Error("the lesson failed");
      }),
    ).rejects.toThrow("the lesson failed");
    expect(await lessonCount(db, userId)).toBe(0);
    expect((await suite.api.usage.getCurrentUsage({ userId })).conversations).toBe(0);
  });

  it("mounted in the host's own router, keeps limitExceeded on the host's client", async () => {
    const db = suite.handle.db;
    await hostTables(db);
    // The host's tRPC: its own context (its session's user), procedures and router.
    const t = initTRPC
      .context<ReturnType<typeof createTRPCContext> & { lessonsDb: Db }>()
      .create({ transformer: superjson, errorFormatter: usageErrorFormatter });
    const hostRouter = t.router({
      lessons: t.router({
        start: t.procedure.input(z.object({ title: z.string() })).mutation(({ ctx, input }) =>
          ctx.lessonsDb.transaction(async (tx) => {
            if (ctx.auth.type !== "user") throw new Error("signed in only");
            await tx.execute(
              sql`INSERT INTO public.lessons (user_id, title) VALUES (${ctx.auth.userId}, ${input.title})`,
            );
            // The host records usage in its own transaction, through usagekit's caller.
            await createCaller({ ...ctx, db: tx as unknown as Db }).usage.recordUsage({
              conversations: 1,
            });
            return { ok: true };
          }),
        ),
      }),
      usage: usageRouter,
    });
    const server = createServer(
      createHTTPHandler({
        router: hostRouter,
        basePath: "/trpc/",
        createContext: ({ req }) => ({
          ...createTRPCContext({
            db,
            userId: String(req.headers["x-host-user"]),
            now: () => NOW,
          }),
          lessonsDb: db,
        }),
      }),
    );
    const origin = await listen(server);
    try {
      const client = createTRPCClient<typeof hostRouter>({
        links: [
          httpLink({
            url: `${origin}/trpc`,
            transformer: superjson,
            headers: { "x-host-user": "user_2host" },
          }),
        ],
      });
      for (let i = 0; i < 20; i++) await client.lessons.start.mutate({ title: `lesson ${i}` });
      const error = await client.lessons.start.mutate({ title: "one too many" }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TRPCClientError);
      const data = (error as TRPCClientError<AppRouter>).data;
      expect(data?.code).toBe("FORBIDDEN");
      expect(data?.limitExceeded).toEqual({
        feature: "conversations",
        used: 20,
        limit: 20,
        requested: 1,
      });
      expect(await lessonCount(db, "user_2host")).toBe(20);
      expect((await client.usage.getCurrentUsage.query({})).conversations).toBe(20);
      // An invalid id from the host's session is a 400 naming it, not a masked 500.
      const invalid = await fetch(`${origin}/trpc/usage.getCurrentUsage`, {
        headers: { "x-host-user": "x".repeat(129) },
      });
      expect(invalid.status).toBe(400);
      const body = JSON.stringify(await invalid.json());
      expect(body).toContain("userId: invalid user id");
      expect(body).not.toContain("errorId");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
