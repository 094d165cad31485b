"use client";

import { UsageMeter, useUsage } from "@usagekit/react";
import { features } from "@usagekit/usage-api/tiers";

/** This month's usage of every feature against the plan's limit (usagekit's meters). */
export function UsageBars({ timezone, now }: { timezone: string; now: Date }) {
  const usage = useUsage();
  const resets = usage.period.end.toLocaleString("en-GB", {
    timeZone: timezone,
    dateStyle: "medium",
    timeStyle: "short",
  });
  return (
    <section className="card">
      <h2>
        This month <span className="badge">{usage.tier}</span>
      </h2>
      <p className="muted" data-testid="resets-at">
        Limits reset {resets} ({timezone})
      </p>
      <ul className="bars">
        {features.map((feature) => (
          <li key={feature}>
            <UsageMeter feature={feature} resets={{ now, timeZone: timezone }} />
          </li>
        ))}
      </ul>
    </section>
  );
}
