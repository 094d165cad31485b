"use client";

import { catalog } from "@usagekit/db/catalog";
import type { Feature, TierName } from "@usagekit/db/catalog";
import {
  featureLabel,
  featureNoun,
  formatAmount,
  timesLeft,
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

/** What one run of an action spends of a gate's feature ("a realtime session", "5 min of practice time"). */
function spends(g: Gate) {
  const noun = featureNoun(g.feature);
  if (catalog.features[g.feature as Feature].unit === "seconds")
    return `${formatAmount(g.feature, g.amount)} of ${noun}`;
  if (g.amount > 1) return `${formatAmount(g.feature, g.amount)} ${noun}`;
  const one = noun.replace(/s$/, "");
  return `${/^[aeiou]/i.test(one) ? "an" : "a"} ${one}`;
}

/** The offer where a limit stops an action: what is used, and what the next plan gives for its price. */
function offerText(g: Gate, up: ReturnType<typeof upgradeFor>) {
  const used =
    g.limit === 0
      ? `${featureLabel(g.feature)} is not in your plan.`
      : `${featureLabel(g.feature)}: ${formatAmount(g.feature, g.used)} of ${formatAmount(g.feature, g.limit!)} used this month.`;
  if (!up) return `${used} It resets with the month.`;
  const gives = up.limit === null ? "unlimited" : `${formatAmount(g.feature, up.limit)} a month`;
  return `${used} ${g.limit === 0 ? "Get it" : "Get more"} with ${up.label}: ${gives} for $${up.price}.`;
}

/**
 * Under an action, the meters that gate it, how many more times it fits when it spends several
 * (`each`: "practice"), and, when one of them would refuse it, an offer of the plan that lifts it
 * (the action's button is disabled meanwhile — the server enforces the limit either way).
 */
export function ActionGate(props: {
  id: string;
  gates: Gate[];
  blockedBy: Gate | null;
  each?: { one: string; many: string };
  onResult: (result: ActionResult) => void;
}) {
  const usage = useUsage();
  const blocked = props.blockedBy;
  const up = blocked && upgradeFor(usage.tier, blocked.feature);
  const left = props.each && !blocked ? timesLeft(props.gates) : null;
  return (
    <div className="gate" data-testid={`gate-${props.id}`} data-blocked-by={blocked?.feature}>
      <ul className="plain muted">
        {props.gates.map((g) => (
          <li key={g.feature} data-feature={g.feature} data-fits={g.fits}>
            {gateText(g)}
          </li>
        ))}
      </ul>
      {left && props.each && (
        <p className="small" data-testid={`times-left-${props.id}`} data-times={left.times}>
          <strong>
            {left.times} {left.times === 1 ? props.each.one : props.each.many} left
          </strong>
          : each uses {spends(left.by)} ({formatAmount(left.by.feature, left.by.left!)} of{" "}
          {formatAmount(left.by.feature, left.by.limit!)} left).
        </p>
      )}
      {blocked && (
        <div className="notice offer" data-testid={`blocked-${props.id}`}>
          {offerText(blocked, up)}
          {up && (
            <PlanSwitcher
              current={usage.tier}
              only={[up.tier as TierName]}
              purpose={`for more ${featureNoun(blocked.feature)}`}
              onResult={props.onResult}
            />
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
