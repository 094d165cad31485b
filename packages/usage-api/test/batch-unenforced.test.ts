import { describe, expect, it } from "vitest";
import { defaultTiers } from "../src";
import type { BatchResult } from "../src";
import { findDrift } from "../src/record/reconcile";
import { dbKinds, newUserId, useTestDb } from "./db";

const NOW = new Date("2026-11-15T12:00:00Z");
const statuses = (r: { results: BatchResult[] }) => r.results.map((x) => x.status);

describe.each(dbKinds)("recordUsageBatch without enforced events, on %s", (kind) => {
  const suite = useTestDb(kind, { now: NOW });
  const api = () => suite.api.usage;
  /** The user's months as usage.getUsageHistory gives them: month, conversations, seconds. */
  const months = async (userId: string) =>
    (await api().getUsageHistory({ userId, months: 6 })).map((m) => ({
      month: m.month,
      conversations: m.conversations,
      seconds: m.seconds,
    }));

  it("counts a keyless event outside the window nowhere", async () => {
    const u = newUserId();
    const answer = await api().recordUsageBatch({
      events: [
        { userId: u, seconds: 60 },
        // September: before the previous month, outside the window.
        { userId: u, seconds: 60, occurredAt: new Date("2026-09-30T12:00:00Z") },
      ],
    });
    expect(statuses(answer)).toEqual(["recorded", "invalid"]);
    expect(await months(u)).toEqual([{ month: "2026-11", conversations: 0, seconds: 60 }]);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });

  it("counts a keyless event of a learner with a live grant once (planned, not summed)", async () => {
    const [granted, plain] = [newUserId(), newUserId()];
    await api().grantUsage({
      userId: granted,
      idempotencyKey: "g",
      feature: "conversations",
      amount: 5,
      reason: "top-up",
    });
    const answer = await api().recordUsageBatch({
      events: [
        { userId: granted, conversations: 1 },
        { userId: plain, conversations: 1 },
      ],
    });
    expect(statuses(answer)).toEqual(["recorded", "recorded"]);
    expect(await months(granted)).toEqual([{ month: "2026-11", conversations: 1, seconds: 0 }]);
    expect(await months(plain)).toEqual([{ month: "2026-11", conversations: 1, seconds: 0 }]);
    expect(await findDrift(suite.handle.db, { tiers: defaultTiers })).toEqual([]);
  });
});
