"use client";

import { tierNames } from "@usagekit/usage-api/tiers";
import { useState } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import { ActionsPanel } from "./actions-panel";
import { LifetimeCard } from "./lifetime-card";
import { MilestonesCard } from "./milestones-card";
import { MonthChart } from "./month-chart";
import { PlanCards } from "./plan-cards";
import { PlanSwitcher } from "./plan-switcher";
import { RecommendationsCard } from "./recommendations-card";
import { UsageBars } from "./usage-bars";
import { VoiceSessionCard } from "./voice-session";
import { UpgradePrompt, UsageAlerts, useUsage } from "@usagekit/react";

/** `now`: the demo's clock at render (the server's), so words like "in 3 days" agree. */
export function Dashboard({ timezone, now }: { timezone: string; now: string }) {
  const usage = useUsage();
  const [result, setResult] = useState<ActionResult | null>(null);
  const higher = tierNames.slice(tierNames.indexOf(usage.tier) + 1);
  return (
    <div className="grid">
      <div className="column">
        <UsageAlerts />
        {result &&
          (result.ok || !result.limitExceeded ? (
            <div
              role={result.ok ? "status" : "alert"}
              className={result.ok ? "notice" : "notice error"}
              data-testid="result"
            >
              {result.message}
            </div>
          ) : (
            <div className="notice error" data-testid="result">
              <UpgradePrompt limitExceeded={result.limitExceeded} tier={usage.tier}>
                {higher.length > 0 && (
                  <div className="upgrade" data-testid="upgrade-prompt">
                    Get more with a bigger plan:
                    <PlanSwitcher
                      current={usage.tier}
                      only={higher}
                      purpose="instead of this refusal"
                      onResult={setResult}
                    />
                  </div>
                )}
              </UpgradePrompt>
            </div>
          ))}
        <ActionsPanel onResult={setResult} />
        <VoiceSessionCard onResult={setResult} />
        <UsageBars timezone={timezone} now={new Date(now)} />
      </div>
      <div className="column">
        <RecommendationsCard timezone={timezone} now={new Date(now)} />
        <LifetimeCard timezone={timezone} />
        <MilestonesCard timezone={timezone} />
        <MonthChart />
        {/* Last, so that on a phone (one column) progress comes before the offers. */}
        <section className="card" id="plans">
          <h2>Plans</h2>
          <PlanCards current={usage.tier} onResult={setResult} />
        </section>
      </div>
    </div>
  );
}
