"use client";

import { features } from "@usagekit/usage-api/tiers";
import { featureInfo, formatAmount } from "~/lib/features";
import { useCurrentUsage } from "./use-usage";

/** This month's usage of every feature against the plan's limit. */
export function UsageBars({ timezone }: { timezone: string }) {
  const usage = useCurrentUsage();
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
        {features.map((feature) => {
          const { used, limit } = usage.features[feature];
          const over = limit !== null && used > limit;
          const width =
            limit === null ? 0 : limit === 0 ? 100 : Math.min(100, (used / limit) * 100);
          const state =
            limit === null ? "unlimited" : over ? "overage" : used >= limit ? "full" : "ok";
          return (
            <li key={feature} data-testid={`usage-${feature}`} data-used={used} data-state={state}>
              <div className="bar-label">
                <span>{featureInfo[feature].label}</span>
                <span>
                  {formatAmount(feature, used)} /{" "}
                  {limit === null
                    ? "unlimited"
                    : limit === 0
                      ? "not in plan"
                      : formatAmount(feature, limit)}
                  {over && feature === "seconds" && usage.overageSeconds > 0
                    ? ` · ${formatAmount(feature, usage.overageSeconds)} overage`
                    : ""}
                </span>
              </div>
              <div className={`bar bar-${state}`}>
                <div style={{ width: `${state === "unlimited" ? 100 : width}%` }} />
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
