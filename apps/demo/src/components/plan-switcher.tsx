"use client";

import { tierNames } from "@usagekit/usage-api/tiers";
import type { TierName } from "@usagekit/usage-api";
import { useTransition } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import { switchPlan } from "~/app/dashboard/actions";
import { useRefreshUsage } from "@usagekit/react";
import { catalog } from "@usagekit/db/catalog";

/** "$9.99 a month", from the catalog; "free" for a plan that costs nothing. */
const priceText = (tier: TierName) => {
  const { price } = catalog.tiers[tier];
  return Number(price) > 0 ? ` · $${price} a month` : " · free";
};

/** The demo's billing: switch plan (setUserPlan through a server action with service auth). */
export function PlanSwitcher(props: {
  current: TierName;
  only?: TierName[];
  onResult: (result: ActionResult) => void;
}) {
  const refresh = useRefreshUsage();
  const [pending, start] = useTransition();
  const choose = (tier: TierName) =>
    start(async () => {
      props.onResult(await switchPlan(tier));
      await refresh();
    });
  return (
    <div className="row" role="group" aria-label="Plan">
      {(props.only ?? tierNames).map((tier) => (
        <button
          key={tier}
          onClick={() => choose(tier)}
          disabled={pending || tier === props.current}
          className={tier === props.current ? "current" : undefined}
          aria-current={tier === props.current ? "true" : undefined}
        >
          {tier === props.current ? `On ${tier}` : `Switch to ${tier}`}
          {tier !== props.current && <span className="price">{priceText(tier)}</span>}
        </button>
      ))}
    </div>
  );
}
