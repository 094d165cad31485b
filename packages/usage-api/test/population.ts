import { TRPCError } from "@trpc/server";
import type { DbHandle } from "@usagekit/db";
import type { Feature, TierName } from "../src";
import { seededRandom } from "../src/random";
import { callerFor } from "./db";

export type Kind = "power" | "churner" | "limitHitter" | "overage" | "upgrader" | "ordinary";

export interface PopUser {
  id: string;
  kind: Kind;
  /** Tier from the start, and (upgraders) from month index 3 on. */
  tiers: [TierName, TierName];
}

export interface PopEvent {
  userId: string;
  tier: TierName;
  occurredAt: Date;
  amounts: Partial<Record<Feature, number>>;
}

export interface Population {
  users: PopUser[];
  /** Accepted events, in the order they were recorded. */
  events: PopEvent[];
  refusals: { userId: string; occurredAt: Date; feature: Feature; tier: TierName }[];
}

/** The six UTC months of the population: 2026-05 … 2026-10. */
export const popMonths = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"];
const DAY = 86_400_000;

const uuidFrom = (random: () => number) => {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/**
 * 300 users over six months, all in UTC: 10 planted power users (pro, ~40 h a month), 30
 * churners (gone after two months), 15 limit-hitters (free, asking for 5 Anki exports a month
 * with limits enforced), 10 overage users (plus, past the 10-hour soft limit), 10 upgraders
 * (free, plus from the fourth month) and ordinary users on every tier. Everything goes through
 * the service API with the clock set to each event's time.
 */
export async function buildPopulation(handle: DbHandle, seed = 7): Promise<Population> {
  const random = seededRandom(seed);
  const kinds: [Kind, number][] = [
    ["power", 10],
    ["churner", 30],
    ["limitHitter", 15],
    ["overage", 10],
    ["upgrader", 10],
    ["ordinary", 225],
  ];
  const users: PopUser[] = [];
  for (const [kind, n] of kinds) {
    for (let i = 0; i < n; i++) {
      const ordinaryTier = (["free", "free", "plus", "pro"] as const)[Math.floor(random() * 4)]!;
      const tier: TierName =
        kind === "power"
          ? "pro"
          : kind === "overage"
            ? "plus"
            : kind === "ordinary"
              ? ordinaryTier
              : "free";
      users.push({
        id: uuidFrom(random),
        kind,
        tiers: [tier, kind === "upgrader" ? "plus" : tier],
      });
    }
  }
  const population: Population = { users, events: [], refusals: [] };
  const start = Date.parse("2026-05-01T00:00:00Z");

  for (const user of users) {
    await callerFor(handle, { now: () => new Date(start) }).usage.setUserPlan({
      userId: user.id,
      tier: user.tiers[0],
    });
  }
  // Ordinary users start in a random month, so there are cohorts to compare.
  const firstMonth = new Map(
    users.map((u) => [u.id, u.kind === "ordinary" ? Math.floor(random() * 4) : 0]),
  );

  for (const [m, month] of popMonths.entries()) {
    const monthStart = Date.parse(`${month}-01T00:00:00Z`);
    if (m === 3) {
      for (const user of users.filter((u) => u.kind === "upgrader")) {
        await callerFor(handle, { now: () => new Date(monthStart) }).usage.setUserPlan({
          userId: user.id,
          tier: "plus",
        });
      }
    }
    const tierOf = (u: PopUser) => u.tiers[m >= 3 ? 1 : 0];
    // The month's events, in time order, then recorded one by one.
    const planned: {
      user: PopUser;
      at: number;
      amounts: Partial<Record<Feature, number>>;
      enforce: boolean;
    }[] = [];
    for (const user of users) {
      if (m < firstMonth.get(user.id)! || (user.kind === "churner" && m >= 2)) continue;
      if (user.kind === "ordinary" && random() < 0.25) continue; // skips a month
      const sessions =
        user.kind === "power" ? 16 : user.kind === "overage" ? 12 : 1 + Math.floor(random() * 5);
      for (let s = 0; s < sessions; s++) {
        const at =
          monthStart + Math.floor(random() * 27) * DAY + Math.floor(random() * 20) * 3_600_000;
        const seconds =
          user.kind === "power"
            ? 9_000
            : user.kind === "overage"
              ? 3_600
              : 60 * (1 + Math.floor(random() * 25));
        const amounts: Partial<Record<Feature, number>> = {
          conversations: 1,
          seconds,
          completedSessions: random() < 0.8 ? 1 : 0,
        };
        if (random() < 0.3) amounts.customPhrases = 1 + Math.floor(random() * 3);
        if (random() < 0.2) amounts.realtimeSessions = 1;
        planned.push({ user, at, amounts, enforce: false });
      }
      const exports = user.kind === "limitHitter" ? 5 : random() < 0.2 ? 1 : 0;
      for (let k = 0; k < exports; k++) {
        planned.push({
          user,
          at: monthStart + (10 + k) * DAY,
          amounts: { ankiExports: 1 },
          enforce: true,
        });
      }
    }
    planned.sort((a, b) => a.at - b.at);
    for (const p of planned) {
      const occurredAt = new Date(p.at);
      const api = callerFor(handle, { now: () => new Date(p.at + 60_000) }).usage;
      try {
        await api.recordUsage({
          userId: p.user.id,
          occurredAt,
          enforceLimits: p.enforce,
          ...p.amounts,
        });
        population.events.push({
          userId: p.user.id,
          tier: tierOf(p.user),
          occurredAt,
          amounts: p.amounts,
        });
      } catch (error) {
        if (!(error instanceof TRPCError && error.code === "FORBIDDEN")) throw error;
        population.refusals.push({
          userId: p.user.id,
          occurredAt,
          feature: "ankiExports",
          tier: tierOf(p.user),
        });
      }
    }
  }
  return population;
}
