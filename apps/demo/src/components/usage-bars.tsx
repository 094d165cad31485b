"use client";

import { useQuery, useSuspenseQuery } from "@tanstack/react-query";
import { formatAmount, tierLabel, UsageMeter, useUsage } from "@usagekit/react";
import { useTRPC } from "~/trpc/react";
import { features } from "@usagekit/usage-api/tiers";

/** This month's usage of every feature against the plan's limit (usagekit's meters). */
export function UsageBars({ timezone, now }: { timezone: string; now: Date }) {
  const usage = useUsage();
  const trpc = useTRPC();
  // This month's bill so far, as the server computes it (the same money the owner's report bills).
  const [bill] = useSuspenseQuery(trpc.usage.getBillingHistory.queryOptions({ months: 1 })).data;
  const thisMonth = bill?.month === usage.month ? bill : undefined;
  // Where the learner's pace takes each limited feature by the month's end (usage.getForecast).
  const forecast = useQuery(trpc.usage.getForecast.queryOptions({})).data;
  const paceOf = (feature: (typeof features)[number]) =>
    forecast?.month === usage.month ? forecast.features[feature] : undefined;
  const resets = usage.period.end.toLocaleString("en-GB", {
    timeZone: timezone,
    dateStyle: "medium",
    timeStyle: "short",
  });
  return (
    <section className="card">
      <h2>
        This month <span className="badge">{tierLabel(usage.tier)}</span>
      </h2>
      <p className="muted" data-testid="resets-at">
        Limits reset {resets} ({timezone})
      </p>
      {thisMonth && thisMonth.overage !== "0.00" && (
        <p data-testid="overage-so-far" data-value={thisMonth.overage}>
          <strong>${thisMonth.overage} overage so far</strong>
          {thisMonth.overageUnits.seconds
            ? ` (${formatAmount("seconds", thisMonth.overageUnits.seconds)} past the time included)`
            : ""}
        </p>
      )}
      <ul className="bars">
        {features.map((feature) => (
          <li key={feature}>
            <UsageMeter
              feature={feature}
              resets={{ now, timeZone: timezone }}
              forecast={paceOf(feature)}
            />
          </li>
        ))}
      </ul>
    </section>
  );
}
