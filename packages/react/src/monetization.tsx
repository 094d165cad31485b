"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useUsageApi, useUsageCatalog } from "./context";
import { featureNoun, formatAmount, localDateLabel } from "./format";
import { useRefreshUsage, useUsage } from "./hooks";
import type { AnyFeature } from "./names";

/** The signed-in user's alerts of this month: the thresholds of its limits its usage reached. */
export function useAlerts() {
  const api = useUsageApi();
  const { month } = useUsage();
  const query = useQuery(api.listAlerts.queryOptions({}));
  return (query.data ?? []).filter((a) => a.month === month);
}

/**
 * The learner's own alerts of this month, in words ("You have used 80 % of your practice time:
 * 24 min of 30 min. At this pace it runs out on 24 Dec." — the forecast's day, when their pace
 * reaches the limit this month), the highest threshold per feature; nothing when there are none.
 */
export function UsageAlerts() {
  const catalog = useUsageCatalog();
  const highest = new Map<string, ReturnType<typeof useAlerts>[number]>();
  for (const a of useAlerts())
    if ((highest.get(a.feature)?.threshold ?? -1) < a.threshold) highest.set(a.feature, a);
  if (highest.size === 0) return null;
  return (
    <div role="status" className="usagekit-alerts" data-testid="usage-alerts">
      <ul>
        {[...highest.values()].map((a) => {
          const amount = (n: number) => formatAmount(a.feature, n, catalog);
          const noun = featureNoun(a.feature, catalog);
          return (
            <li key={a.id} data-feature={a.feature} data-threshold={a.threshold}>
              {a.threshold >= 100
                ? `You have used all ${amount(a.limit)} of your ${noun} this month.`
                : `You have used ${a.threshold} % of your ${noun} this month: ${amount(a.used)} of ${amount(a.limit)}.${
                    a.runsOutOn
                      ? ` At this pace it runs out on ${localDateLabel(a.runsOutOn)}.`
                      : ""
                  }`}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * A top-up offer: "+60 min of practice time for 4.99". `onTopUp` is the host's own (its payment,
 * then `grantUsage` on its server); once it resolves, everything usagekit shows is refetched, so
 * the new allowance shows at once. Its answer's `message`, when it has one, is announced.
 */
export function TopUpPrompt(props: {
  feature: AnyFeature;
  amount: number;
  price: string;
  currency?: string;
  onTopUp: () => Promise<{ ok: boolean; message: string } | void>;
}) {
  const catalog = useUsageCatalog();
  const refresh = useRefreshUsage();
  const [state, setState] = useState<{ pending: boolean; message?: string; ok?: boolean }>({
    pending: false,
  });
  const what = `${formatAmount(props.feature, props.amount, catalog)} of ${featureNoun(props.feature, catalog)}`;
  const buy = async () => {
    setState({ pending: true });
    try {
      const result = await props.onTopUp();
      setState({ pending: false, ok: result?.ok ?? true, message: result?.message });
      await refresh();
    } catch {
      setState({ pending: false, ok: false, message: "The top-up did not go through." });
    }
  };
  return (
    <div className="usagekit-top-up" data-testid="top-up" data-feature={props.feature}>
      <button type="button" onClick={buy} disabled={state.pending} aria-busy={state.pending}>
        {`+${what} for ${props.currency ?? ""}${props.price}`}
      </button>
      {state.message && (
        <p role="status" data-ok={state.ok}>
          {state.message}
        </p>
      )}
    </div>
  );
}
