import { createDb } from "@usagekit/db";
import { createCaller, createTRPCContext, isRefusal } from "@usagekit/usage-api";

// A billing backend sells a top-up: an hour of practice time, used after the plan's own.
const { db, close } = await createDb({ url: process.env.DATABASE_URL });
const api = createCaller(createTRPCContext({ db, auth: { type: "service" } }));
const userId = "user_2abc";

// The free plan's 30 minutes are used up: the next enforced practice is refused.
await api.usage.recordUsage({ userId, idempotencyKey: "lesson-1", seconds: 30 * 60 });
const refused = await api.usage
  .recordUsage({ userId, idempotencyKey: "lesson-2", seconds: 600, enforceLimits: true })
  .then(() => false, isRefusal);

// The learner pays 4.99 for an hour: revenue as a top-up (not a month of a plan), then the grant.
// Both idempotent under the checkout's id, so a retried webhook pays and grants once.
await api.usage.recordPayment({
  userId,
  tier: "free",
  amount: "4.99",
  paidAt: new Date(),
  idempotencyKey: "checkout-81f2",
  kind: "topUp",
});
await api.usage.grantUsage({
  userId,
  idempotencyKey: "checkout-81f2",
  feature: "seconds",
  amount: 3600,
  expiresAt: new Date(Date.now() + 90 * 86_400_000), // optional: unused, it lapses in 90 days
  reason: "top-up: +60 minutes",
});

// The limit now includes the grant, and the same practice goes through, taken from the grant.
const check = await api.usage.canUseFeature({ userId, feature: "seconds", amount: 600 });
await api.usage.recordUsage({
  userId,
  idempotencyKey: "lesson-2",
  seconds: 600,
  enforceLimits: true,
});
const life = await api.usage.getLifetimeStats({ userId });
console.log(refused, check.allowed, check.limit, check.granted, life.usedFromGrants.seconds);
await close();
