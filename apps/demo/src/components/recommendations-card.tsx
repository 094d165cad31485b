"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { featureNoun, formatAmount, localDateLabel } from "@usagekit/react";
import type { Recommendation } from "@usagekit/usage-api";
import { catalog } from "@usagekit/db/catalog";
import { useTRPC } from "~/trpc/react";

const DAY_MS = 86_400_000;

/** One recommendation in the words a learner uses. */
function say(r: Recommendation, now: Date, timezone: string): string {
  switch (r.kind) {
    case "runsOut": {
      const on = localDateLabel(r.on);
      const all = `${formatAmount(r.feature, r.limit)} ${featureNoun(r.feature)}`;
      const up = r.upgrade
        ? ` — ${catalog.tiers[r.upgrade.tier].label} gives ${r.upgrade.limit === null ? "unlimited" : `${formatAmount(r.feature, r.upgrade.limit)} a month`}`
        : "";
      return `At this pace you will use all ${all} by ${on}${up}.`;
    }
    case "nearLimit": {
      const days = Math.max(0, Math.ceil((r.resetsAt.getTime() - now.getTime()) / DAY_MS));
      const date = r.resetsAt.toLocaleDateString("en-GB", {
        day: "numeric",
        month: "short",
        timeZone: timezone,
      });
      return `${formatAmount(r.feature, r.limit - r.used)} of ${formatAmount(r.feature, r.limit)} ${featureNoun(r.feature)} left · resets ${date}, in ${days} day${days === 1 ? "" : "s"}.`;
    }
    case "streakAtRisk":
      return `Practise today to keep your ${r.streak}-day streak going.`;
    case "cheaperPlan":
      return `${catalog.tiers[r.tier].label} would have cost $${r.saves} less this month than your plan with its $${r.overage} overage.`;
    case "unused":
      return `Your plan includes ${formatAmount(r.feature, r.limit!)} ${featureNoun(r.feature)} a month: you have not used any yet.`;
  }
}

/** What the learner could do next, from their own usage (usage.getRecommendations). */
export function RecommendationsCard({ timezone, now }: { timezone: string; now: Date }) {
  const trpc = useTRPC();
  const recommendations = useSuspenseQuery(trpc.usage.getRecommendations.queryOptions({})).data;
  return (
    <section className="card">
      <h2>For you</h2>
      {recommendations.length === 0 ? (
        <p className="muted">Nothing to suggest right now: keep practising.</p>
      ) : (
        <ul className="recommendations" data-testid="recommendations">
          {recommendations.slice(0, 5).map((r, i) => (
            <li key={i} data-kind={r.kind}>
              {say(r, now, timezone)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
