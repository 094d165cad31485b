"use client";

import type { TierName } from "@usagekit/db/catalog";
import {
  featureLabel,
  formatAmount,
  tierLabel,
  TopUpPrompt,
  upgradeFor,
  useUsage,
} from "@usagekit/react";
import { buyTopUp } from "~/app/dashboard/actions";
import { TOP_UP } from "~/lib/top-up";
import type { Gate } from "@usagekit/react";
import type { ActionResult } from "~/app/dashboard/actions";
import { PlanSwitcher } from "./plan-switcher";

/** "Anki exports: 2 of 3 left", "Practice time: 12 min left (then overage)", "…: unlimited". */
const gateText = (g: Gate) => {
  const name = featureLabel(g.feature);
  if (g.left === null) return `${name}: unlimited`;
  if (g.limit === 0) return `${name}: not in your plan`;
  const left = `${formatAmount(g.feature, g.left)} of ${formatAmount(g.feature, g.limit!)} left`;
  return g.soft ? `${name}: ${left}, then billed as overage` : `${name}: ${left}`;
};

/**
 * Under an action, the meters that gate it; when one of them would refuse it, which one and
 * the plan that lifts it (the action's button is disabled meanwhile — the server enforces the
 * limit either way).
 */
export function ActionGate(props: {
  id: string;
  gates: Gate[];
  blockedBy: Gate | null;
  onResult: (result: ActionResult) => void;
}) {
  const usage = useUsage();
  const blocked = props.blockedBy;
  const up = blocked && upgradeFor(usage.tier, blocked.feature);
  return (
    <div className="gate" data-testid={`gate-${props.id}`} data-blocked-by={blocked?.feature}>
      <ul className="plain muted">
        {props.gates.map((g) => (
          <li key={g.feature} data-feature={g.feature} data-fits={g.fits}>
            {gateText(g)}
          </li>
        ))}
      </ul>
      {blocked && (
        <div className="notice error" data-testid={`blocked-${props.id}`}>
          {blocked.limit === 0
            ? `${featureLabel(blocked.feature)} is not in ${tierLabel(usage.tier)}.`
            : `${featureLabel(blocked.feature)} is what stops this: ${formatAmount(blocked.feature, blocked.used)} of ${formatAmount(blocked.feature, blocked.limit!)} used this month.`}{" "}
          {up ? (
            <>
              {tierLabel(up.tier)} gives{" "}
              {up.limit === null
                ? "unlimited"
                : `${formatAmount(blocked.feature, up.limit)} a month`}
              .
              <PlanSwitcher
                current={usage.tier}
                only={[up.tier as TierName]}
                onResult={props.onResult}
              />
            </>
          ) : (
            "It resets with the month."
          )}
          {blocked.feature === "seconds" && (
            <TopUpPrompt
              feature="seconds"
              amount={TOP_UP.minutes * 60}
              price={TOP_UP.price}
              currency="$"
              onTopUp={async () => {
                const result = await buyTopUp({ requestId: crypto.randomUUID() });
                props.onResult(result);
                return result;
              }}
            />
          )}
        </div>
      )}
    </div>
  );
}
