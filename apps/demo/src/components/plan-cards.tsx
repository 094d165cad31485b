"use client";

import { catalog, features, tierNames } from "@usagekit/db/catalog";
import type { Feature, LimitSpec, TierName } from "@usagekit/db/catalog";
import { featureNoun, formatAmount, tierLabel } from "@usagekit/react";
import type { ActionResult } from "~/app/dashboard/actions";
import { PlanSwitcher } from "./plan-switcher";

/** What a plan gives of a feature, in words ("10 h practice time, then $0.03 a minute"). */
function includes(feature: Feature, spec: LimitSpec) {
  if (spec === null) return `Unlimited ${featureNoun(feature)}`;
  if (typeof spec === "number") return `${formatAmount(feature, spec)} ${featureNoun(feature)}`;
  const per = spec.overage.perUnits === 60 ? "a minute" : `per ${spec.overage.perUnits}`;
  return `${formatAmount(feature, spec.limit)} ${featureNoun(feature)}, then $${spec.overage.price} ${per}`;
}

/** The plans side by side: price, what each includes a month, and the way to switch. */
export function PlanCards(props: { current: TierName; onResult: (r: ActionResult) => void }) {
  return (
    <div className="plans">
      {tierNames.map((tier) => {
        const { price, limits } = catalog.tiers[tier];
        return (
          <div
            key={tier}
            className={tier === props.current ? "plan current-plan" : "plan"}
            data-testid={`plan-${tier}`}
          >
            <h3>
              {tierLabel(tier)}{" "}
              <span className="price">{Number(price) > 0 ? `$${price} a month` : "$0"}</span>
            </h3>
            <ul className="plain">
              {features
                .filter((f) => limits[f] !== 0)
                .map((f) => (
                  <li key={f}>{includes(f, limits[f])}</li>
                ))}
            </ul>
            <PlanSwitcher current={props.current} only={[tier]} onResult={props.onResult} />
          </div>
        );
      })}
    </div>
  );
}
