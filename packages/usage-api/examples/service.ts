import { createDb } from "@usagekit/db";
import { createCaller, createTRPCContext } from "@usagekit/usage-api";

// A postgres:// URL → PostgreSQL; none → PGlite in ./.data/pglite. No package reads the env itself.
const { db, close } = await createDb({ url: process.env.DATABASE_URL });
// A trusted backend (voice server, cron, billing): service auth, acts for any user.
const api = createCaller(createTRPCContext({ db, auth: { type: "service" } }));
const userId = "user_2abc"; // the host's own id: any text of 1–128 characters

await api.usage.setUserPlan({ userId, tier: "plus", timezone: "Europe/Berlin" });
await api.usage.recordUsage({
  userId,
  idempotencyKey: "session-8f2c", // retries count once
  conversations: 1,
  realtimeSessions: 1,
  completedSessions: 1,
  seconds: 742,
  enforceLimits: true, // FORBIDDEN with data.limitExceeded = { feature, used, limit } at a hard limit
});
const check = await api.usage.canUseFeature({ userId, feature: "ankiExports" });
// → { allowed, feature, tier, used, limit, remaining, overage, resetsAt }
const month = await api.usage.getCurrentUsage({ userId }); // this local month + features
const lifetime = await api.usage.getLifetimeStats({ userId }); // totals, days active, streaks, …
await api.usage.getUsageHistory({ userId, months: 12 }); // monthly rows, newest first
await api.usage.recordPayment({
  userId,
  tier: "plus",
  amount: "9.99",
  paidAt: new Date(),
  idempotencyKey: "inv_123",
});
console.log(check.allowed, month.conversations, lifetime.totalSeconds);
await close(); // PGlite holds its data folder (and the process) until closed
