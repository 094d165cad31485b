"use client";

import { tierNames } from "@usagekit/usage-api/tiers";
import type { TierName } from "@usagekit/usage-api";
import { useEffect, useRef, useState, useTransition } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import { switchPlan } from "~/app/dashboard/actions";
import { tierLabel, useRefreshUsage } from "@usagekit/react";
import { catalog } from "@usagekit/db/catalog";
import { useClickKey } from "./use-click-key";

/** "$9.99 a month", from the catalog; "$0" for a plan that costs nothing. */
const priceText = (tier: TierName) => {
  const { price } = catalog.tiers[tier];
  return Number(price) > 0 ? ` · $${price} a month` : " · $0";
};
const below = (tier: TierName, current: TierName) =>
  tierNames.indexOf(tier) < tierNames.indexOf(current);

/**
 * The demo's checkout: switch plan (a server action records the plan and its payment). A switch
 * down asks first, in the page. `purpose` tells the buttons apart from other plan buttons on the
 * page ("for more Anki exports"); busy buttons stay focusable, so the keyboard stays where it was.
 */
export function PlanSwitcher(props: {
  current: TierName;
  only?: TierName[];
  purpose?: string;
  onResult: (result: ActionResult) => void;
}) {
  const refresh = useRefreshUsage();
  const [pending, start] = useTransition();
  const [asking, setAsking] = useState<TierName | null>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  // One payment per click: the further clicks of a double click carry the same key.
  const clickKey = useClickKey();
  // The question takes the keyboard's focus when it appears.
  useEffect(() => confirm.current?.focus(), [asking]);
  const choose = (tier: TierName, click: { detail: number }) => {
    const requestId = clickKey(`plan-${tier}`, click);
    start(async () => {
      setAsking(null);
      props.onResult(await switchPlan({ tier, requestId }));
      await refresh();
    });
  };
  const hidden = props.purpose && <span className="visually-hidden"> {props.purpose}</span>;
  return (
    <div className="row wrap" role="group" aria-label="Plan">
      {(props.only ?? tierNames).map((tier) => (
        <button
          key={tier}
          onClick={(click) => {
            if (pending) return;
            if (below(tier, props.current)) setAsking(tier);
            else choose(tier, click);
          }}
          aria-disabled={pending || undefined}
          disabled={tier === props.current}
          className={tier === props.current ? "current" : undefined}
          aria-current={tier === props.current ? "true" : undefined}
        >
          {tier === props.current ? `On ${tierLabel(tier)}` : `Switch to ${tierLabel(tier)}`}
          {tier !== props.current && <span className="price">{priceText(tier)}</span>}
          {tier !== props.current && hidden}
        </button>
      ))}
      {asking && (
        <div
          className="notice offer"
          role="group"
          aria-label="Confirm the switch"
          data-testid="confirm-switch"
        >
          <p>
            Switch from {tierLabel(props.current)} to {tierLabel(asking)}? What you used this month
            stays; past {tierLabel(asking)}&apos;s limits you can do no more until they reset.
            Nothing more is charged.
          </p>
          <div className="row wrap">
            <button ref={confirm} onClick={(click) => choose(asking, click)}>
              Yes, switch to {tierLabel(asking)}
            </button>
            <button className="secondary" onClick={() => setAsking(null)}>
              Keep {tierLabel(props.current)}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
