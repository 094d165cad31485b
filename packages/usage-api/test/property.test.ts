import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { features, tierNames } from "../src";
import { dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");

// A peer answered "allowed" and then refused the write (Autumn #3070): here the two must agree.
describe.each(dbKinds)("canUseFeature agrees with enforced recordUsage on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });

  it("allowed is true exactly when an enforced recordUsage of the same amount succeeds", async () => {
    let refusals = 0;
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...tierNames),
        fc.constantFrom(...features),
        fc.nat({ max: 60 }),
        fc.integer({ min: 1, max: 40 }),
        async (tier, feature, before, amount) => {
          const userId = newUserId();
          await suite.api.usage.setUserPlan({ userId, tier });
          if (before > 0) await suite.api.usage.recordUsage({ userId, [feature]: before });
          const { allowed } = await suite.api.usage.canUseFeature({ userId, feature, amount });
          const recorded = await suite.api.usage
            .recordUsage({ userId, [feature]: amount, enforceLimits: true })
            .then(
              () => true,
              (e: { code?: string }) => {
                if (e.code !== "FORBIDDEN") throw e;
                return false;
              },
            );
          if (recorded) successes++;
          else refusals++;
          return allowed === recorded;
        },
      ),
      { numRuns: 150, seed: 3070 },
    );
    // Both sides of the property were exercised.
    expect(refusals).toBeGreaterThan(10);
    expect(successes).toBeGreaterThan(10);
  });
});
