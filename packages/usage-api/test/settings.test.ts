import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createCaller, createTRPCContext } from "../src";
import { openTestDb } from "./db";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const NOW = new Date("2026-11-15T12:00:00Z");

/** A learner's whole story through the API: the answers that carry instants, months and money. */
async function story(db: Parameters<typeof createTRPCContext>[0]["db"]) {
  const api = createCaller(createTRPCContext({ db, auth: { type: "service" }, now: () => NOW }));
  const userId = "settings-learner";
  await api.usage.setUserPlan({ userId, tier: "plus", timezone: "Asia/Kathmandu" });
  const at = (iso: string) => new Date(iso);
  const recorded = [];
  for (const [n, iso] of [
    "2026-10-31T18:10:00Z",
    "2026-10-31T18:20:00Z",
    "2026-11-14T09:00:00Z",
  ].entries())
    recorded.push(
      await api.usage.recordUsage({
        userId,
        idempotencyKey: `s${n}`,
        occurredAt: at(iso),
        conversations: 1,
        completedSessions: 1,
        seconds: 6 * 3600,
      }),
    );
  const batch = await api.usage.recordUsageBatch({
    events: [{ userId, seconds: 60, occurredAt: at("2026-11-15T11:00:00Z"), idempotencyKey: "s0" }],
  });
  await api.usage.recordPayment({
    userId,
    tier: "plus",
    amount: "9.99",
    paidAt: at("2026-11-01T00:00:00Z"),
    idempotencyKey: "p1",
  });
  const {
    createdAt: _c,
    updatedAt: _u,
    ...lifetime
  } = await api.usage.getLifetimeStats({ userId });
  return {
    recorded,
    batch,
    check: await api.usage.canUseFeature({ userId, feature: "conversations" }),
    current: await api.usage.getCurrentUsage({ userId }),
    history: await api.usage.getUsageHistory({ userId }),
    bills: await api.usage.getBillingHistory({ userId }),
    lifetime,
    milestones: await api.usage.getMilestones({ userId }),
    recommendations: await api.usage.getRecommendations({ userId }),
    dropOff: await api.analytics.dropOff({ month: "2026-11" }),
    overage: await api.analytics.overage({ month: "2026-11" }),
  };
}

/**
 * usagekit's answers do not depend on the session settings of the host's connection, and
 * usagekit does not change them: the same story on a database set to another DateStyle, TimeZone,
 * IntervalStyle and search_path, through the host's own postgres.js client and Drizzle, answers
 * exactly what it answers on a database with the defaults.
 */
describe.runIf(DATABASE_URL)("the host's session settings (PostgreSQL)", () => {
  it.each([
    ["SQL, DMY", "Asia/Kathmandu"],
    ["Postgres, MDY", "America/St_Johns"],
  ])(
    "DateStyle %s, TimeZone %s: the same answers, the settings untouched",
    async (dateStyle, timeZone) => {
      const reference = await openTestDb("postgres");
      const host = await openTestDb("postgres");
      const name = new URL(host.url!).pathname.slice(1);
      for (const setting of [
        `"DateStyle" = '${dateStyle}'`,
        `"TimeZone" = '${timeZone}'`,
        `"IntervalStyle" = 'sql_standard'`,
        `search_path = 'public'`,
      ])
        await host.db.execute(sql.raw(`ALTER DATABASE ${name} SET ${setting}`));
      // The host's own client: one connection, its database's settings, nothing of usagekit's.
      const client = postgres(host.url!, { max: 1, onnotice: () => {} });
      try {
        const expected = await story(reference.db);
        const got = await story(drizzle({ client }));
        expect(got).toEqual(expected);
        expect(got.current.period.end).toEqual(new Date("2026-11-30T18:15:00Z"));
        // The host's connection keeps its own settings.
        const [shown] =
          await client`SELECT current_setting('DateStyle') AS d, current_setting('TimeZone') AS t,
        current_setting('IntervalStyle') AS i, current_setting('search_path') AS s`;
        expect(shown).toEqual({ d: dateStyle, t: timeZone, i: "sql_standard", s: "public" });
      } finally {
        await client.end();
        await host.close();
        await reference.close();
      }
    },
  );
});
