"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { tierLabel } from "@usagekit/react";
import { formatMoney } from "~/lib/format";
import { useTRPC } from "~/trpc/react";

const hours = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;
const day = (date: Date | null, timeZone: string) =>
  date ? date.toLocaleDateString("en-GB", { timeZone, dateStyle: "medium" }) : "—";

/** Lifetime progress: totals, streaks, revenue and firsts. */
export function LifetimeCard({ timezone }: { timezone: string }) {
  const trpc = useTRPC();
  const life = useSuspenseQuery(trpc.usage.getLifetimeStats.queryOptions({})).data;
  const stats: [string, string, string][] = [
    ["Current streak", `${life.currentStreak} days`, "current-streak"],
    ["Longest streak", `${life.longestStreak} days`, "longest-streak"],
    ["Days active", String(life.daysActive), "days-active"],
    ["Conversations", String(life.totalConversations), "total-conversations"],
    ["Time practised", hours(life.totalSeconds), "total-time"],
    ["Anki exports", String(life.totalAnkiExports), "total-anki"],
    ["Custom phrases", String(life.totalCustomPhrases), "total-phrases"],
    ["Sessions / month", String(life.averageSessionsPerMonth), "sessions-per-month"],
    ["First conversation", day(life.firstConversationAt, timezone), "first-conversation"],
    ["Months subscribed", String(life.monthsSubscribed), "months-subscribed"],
    ["Total paid", formatMoney(life.totalRevenue), "total-revenue"],
    ["Highest plan", tierLabel(life.highestTierReached), "highest-tier"],
  ];
  return (
    <section className="card">
      <h2>Lifetime</h2>
      <dl className="stats">
        {stats.map(([label, value, id]) => (
          <div key={id} data-testid={id}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
