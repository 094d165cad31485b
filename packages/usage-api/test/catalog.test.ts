import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, queryRows } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase } from "../../db/test/fresh-database";
import {
  appRouter,
  createAppRouter,
  createCallerFactory,
  createTRPCContext,
  tiersOf,
} from "../src";
import { findDrift } from "../src/record/reconcile";
import { featureLabel, meter } from "../../react/src/format";
import { catalog } from "./fixtures/host-catalog";
import { dbKinds } from "./db";
import type { DbKind } from "./db";
import { refusalOf, trpcError } from "./helpers";

const dbPackage = join(import.meta.dirname, "..", "..", "db");
const work = mkdtempSync(join(tmpdir(), "usagekit-host-catalog-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The host's catalog file, and the folder `usagekit generate` writes its migrations to. */
const catalogFile = join(import.meta.dirname, "fixtures", "host-catalog.ts");
const migrationsFolder = join(work, "drizzle-usagekit");
const now = new Date("2026-11-15T12:00:00Z");

/** A fresh database migrated with the host's folder (usagekit's migrations and the catalog's). */
async function openHostDb(kind: DbKind): Promise<DbHandle> {
  if (kind === "pglite") return createDb({ url: "", dataDir: "memory://", migrationsFolder });
  const database = await freshDatabase(process.env.DATABASE_URL!, "usagekit_catalog");
  const handle = await createDb({ url: database.url, migrationsFolder });
  return { ...handle, close: () => handle.close().then(database.drop) };
}

beforeAll(() => {
  // `npx usagekit generate` as the host runs it: the migrations for its catalog, in its folder.
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli.ts",
      "generate",
      "--catalog",
      catalogFile,
      "--out",
      migrationsFolder,
    ],
    { cwd: dbPackage, encoding: "utf8" },
  );
  expect(run.status, run.stdout + run.stderr).toBe(0);
}, 120_000);

describe.each(dbKinds)("a host's own catalog, on %s", (kind) => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = await openHostDb(kind);
  }, 120_000);
  afterAll(() => handle?.close());

  /** The host's routers and a service context with its catalog: no other code change. */
  const api = () => {
    const router = createAppRouter(catalog);
    return createCallerFactory(router)(
      createTRPCContext({ db: handle.db, catalog, auth: { type: "service" }, now: () => now }),
    );
  };
  const row = async (userId: string) =>
    (
      await queryRows<{ used: number; overage: number; total: number }>(
        handle.db,
        sql`SELECT m.ai_translations::int AS used, m.overage_ai_translations::int AS overage,
          l.total_ai_translations::int AS total
        FROM usagekit.monthly_usage m JOIN usagekit.lifetime_stats l USING (user_id)
        WHERE m.user_id = ${userId}`,
      )
    )[0];

  it("records, refuses, checks, reads, bills and analyses the new feature and tier", async () => {
    const usage = api().usage;
    const record = (userId: string, aiTranslations: number) =>
      usage.recordUsage({ userId, aiTranslations, enforceLimits: true });
    await record("free_1", 4);
    expect(await refusalOf(record("free_1", 2))).toEqual({
      feature: "aiTranslations",
      used: 4,
      limit: 5,
      requested: 2,
    });
    await usage.setUserPlan({ userId: "team_1", tier: "team" });
    await record("team_1", 990);
    await record("team_1", 30);
    // The database itself: 1,020 used, 20 past the soft limit of 1,000, 1,020 in the lifetime.
    expect(await row("team_1")).toEqual({ used: 1020, overage: 20, total: 1020 });
    expect(await row("free_1")).toEqual({ used: 4, overage: 0, total: 4 });
    // A user never seen is on the catalog's lowest tier, in the database and in every answer.
    const [user] = await queryRows<{ tier: string }>(
      handle.db,
      sql`SELECT tier FROM usagekit.users WHERE id = 'free_1'`,
    );
    expect(user?.tier).toBe("starter");
    expect((await usage.getCurrentUsage({ userId: "nobody" })).tier).toBe("starter");
    expect((await usage.getLifetimeStats({ userId: "free_1" })).highestTierReached).toBe("starter");

    const check = await usage.canUseFeature({
      userId: "team_1",
      feature: "aiTranslations",
      amount: 5,
    });
    expect(check).toMatchObject({ allowed: true, tier: "team", used: 1020, limit: 1000 });
    expect(check.overage).toBe(true);
    const current = await usage.getCurrentUsage({ userId: "team_1" });
    expect(current).toMatchObject({
      aiTranslations: 1020,
      overageAiTranslations: 20,
      tier: "team",
    });
    expect(current.features.aiTranslations).toEqual({
      used: 1020,
      limit: 1000,
      remaining: 0,
      held: 0,
      rolledOver: 0,
      granted: 0,
    });
    const lifetime = await usage.getLifetimeStats({ userId: "team_1" });
    expect(lifetime.totalAiTranslations).toBe(1020);
    expect(lifetime.highestTierReached).toBe("team");
    const [month] = await usage.getUsageHistory({ userId: "team_1" });
    expect(month?.aiTranslations).toBe(1020);
    // 20 translations past the soft limit at $0.05 per 10: $0.10.
    const [bill] = await usage.getBillingHistory({ userId: "team_1", months: 1 });
    expect(bill).toMatchObject({ overage: "0.10", overageUnits: { aiTranslations: 20 } });
  });

  it("reports on it: adoption, value, overage money; the ledger replays to the same rows", async () => {
    const analytics = api().analytics;
    const adoption = await analytics.featureAdoption({ month: "2026-11" });
    const users = (f: string) =>
      Object.fromEntries(
        adoption.tiers.map((t) => [
          t.tier,
          (t.features as Record<string, { users: number }>)[f]?.users,
        ]),
      );
    expect(users("aiTranslations")).toEqual({ starter: 1, plus: 0, pro: 0, team: 1 });
    const overage = await analytics.overage({ month: "2026-11" });
    expect(overage.total).toBe("0.10");
    expect(overage.users).toEqual([
      {
        userId: "team_1",
        tier: "team",
        overageSeconds: 0,
        amount: "0.10",
        units: { aiTranslations: 20 },
      },
    ]);
    expect(overage.byTier.map((t) => t.tier)).toEqual(["starter", "plus", "pro", "team"]);
    expect(await findDrift(handle.db, { tiers: tiersOf(catalog) })).toEqual([]);
  });

  it("takes a batch of it, and refuses what the catalog lacks naming the field", async () => {
    const { results } = await api().usage.recordUsageBatch({
      events: [
        { userId: "batch_1", aiTranslations: 3, enforceLimits: true },
        { userId: "batch_1", aiTranslations: 3, enforceLimits: true },
        { userId: "batch_1", quizzes: 1 },
      ],
    });
    expect(results.map((r) => r.status)).toEqual(["recorded", "refused", "invalid"]);
    expect(JSON.stringify(results[2])).toContain("quizzes");
    expect(await row("batch_1")).toEqual({ used: 3, overage: 0, total: 3 });
    const usage = api().usage;
    // The host's types know its tiers and features, as the server does.
    // @ts-expect-error "gold" is not a tier of the catalog
    const gold = await trpcError(usage.setUserPlan({ userId: "x", tier: "gold" }));
    expect(gold.code).toBe("BAD_REQUEST");
    expect(gold.message).toMatch(/tier.*starter, plus, pro, team/);
    const bogus = await trpcError(
      // @ts-expect-error "quizzes" is not a feature of the catalog
      usage.canUseFeature({ userId: "x", feature: "quizzes" }),
    );
    expect(bogus.code).toBe("BAD_REQUEST");
    expect(bogus.message).toMatch(/feature.*aiTranslations/);
  });

  it("runs with the context's catalog, else the router's", async () => {
    const caller = createCallerFactory(appRouter);
    const hostContext = createTRPCContext({
      db: handle.db,
      catalog,
      auth: { type: "service" },
      now: () => now,
    });
    const answer = await caller(hostContext).usage.recordUsage({
      userId: "ctx_1",
      aiTranslations: 2,
    } as never);
    expect((answer.usage as unknown as Record<string, number>).aiTranslations).toBe(2);
    // The host's router with a context that names no catalog: the router's.
    const router = createAppRouter(catalog);
    const plain = createTRPCContext({ db: handle.db, auth: { type: "service" }, now: () => now });
    const current = await createCallerFactory(router)(plain).usage.getCurrentUsage({
      userId: "ctx_1",
    });
    expect(current.features.aiTranslations).toEqual({
      used: 2,
      limit: 5,
      remaining: 3,
      held: 0,
      rolledOver: 0,
      granted: 0,
    });
    // usagekit's own router with such a context: the default catalog, which has no such feature.
    const refused = await trpcError(
      caller(plain).usage.recordUsage({ userId: "ctx_1", aiTranslations: 1 } as never),
    );
    expect(refused.message).toContain("aiTranslations");
  });

  it("labels it in the host's components from the same catalog", () => {
    expect(featureLabel("aiTranslations", catalog)).toBe("AI translations");
    expect(meter("aiTranslations", 1020, 1000, "team", catalog).text).toBe(
      "20 over the 1,000 included",
    );
    expect(() => featureLabel("aiTranslations")).toThrow(/not a feature of the catalog/);
  });
});
