"use client";

import type { LimitExceeded } from "@usagekit/usage-api";
import { resetsIn, tierLabel } from "./allowance";
import { useUsageCatalog } from "./context";
import { featureLabel, featureNoun, formatAmount, localDateLabel, meter } from "./format";
import { useUsage } from "./hooks";
import type { AnyFeature } from "./names";

/**
 * One feature's usage this month against the plan: its name, what is left in words, and a bar
 * (`role="meter"`). The state is in the text and in `data-state`, never in colour alone. Class
 * names (`usagekit-meter`, `usagekit-meter-<state>`) are the host's to style.
 */
export function UsageMeter(props: {
  feature: AnyFeature;
  label?: string;
  /** With the time now and the user's zone, a limited feature says when it resets ("in 3 days"). */
  resets?: { now: Date; timeZone: string };
  /** The feature's `getForecast` entry: where the learner's pace takes it by the month's end. */
  forecast?: { projected: number; reachesLimitOn: string | null };
}) {
  const usage = useUsage();
  const catalog = useUsageCatalog();
  const label = props.label ?? featureLabel(props.feature, catalog);
  const row = (
    usage.features as Record<
      string,
      { used: number; limit: number | null; held?: number; granted?: number; rolledOver?: number }
    >
  )[props.feature];
  if (!row) throw new Error(`usagekit: the server meters no feature "${props.feature}"`);
  const { used, limit, held = 0, granted = 0, rolledOver = 0 } = row;
  const amount = (n: number) => formatAmount(props.feature, n, catalog);
  // What is left is what neither usage nor a live hold takes.
  const { state, text: meterText } = meter(props.feature, used + held, limit, usage.tier, catalog);
  // A live session's hold counts against the limit until it is settled: said beside the usage.
  // The limit's parts beyond the plan, said so the learner knows where the extra came from.
  const usedText = [
    meterText,
    held > 0 && `${amount(held)} held`,
    rolledOver > 0 && `incl. ${amount(rolledOver)} rolled over`,
    granted > 0 && `incl. ${amount(granted)} from top-ups`,
  ]
    .filter(Boolean)
    .join(" · ");
  const resetText =
    props.resets && limit !== null && limit > 0
      ? `${usedText} · ${resetsIn(usage.period.end, props.resets.now, props.resets.timeZone)}`
      : usedText;
  // Last: where the learner's pace takes it by the month's end.
  const text =
    props.forecast && limit !== null && limit > 0
      ? `${resetText} · ${paceText(props.forecast, amount)}`
      : resetText;
  const percent =
    limit === null || limit === 0 ? 0 : Math.min(100, Math.round((used / limit) * 100));
  return (
    <div
      className={`usagekit-meter usagekit-meter-${state}`}
      data-testid={`usage-${props.feature}`}
      data-used={used}
      data-held={held}
      data-granted={granted}
      data-projected={props.forecast?.projected}
      data-state={state}
    >
      <div className="usagekit-meter-label">
        <span>{label}</span>
        <span>{text}</span>
      </div>
      {limit !== null && limit > 0 && (
        <div
          className="usagekit-meter-bar"
          role="meter"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={limit}
          aria-valuenow={Math.min(used, limit)}
          aria-valuetext={text}
        >
          <div style={{ width: `${percent}%` }} />
        </div>
      )}
    </div>
  );
}

/** "at this pace 28 by the month's end, the limit on 16 Nov" (a local date, written as it is). */
function paceText(
  forecast: { projected: number; reachesLimitOn: string | null },
  amount: (n: number) => string,
) {
  const on = forecast.reachesLimitOn && localDateLabel(forecast.reachesLimitOn);
  return `at this pace ${amount(forecast.projected)} by the month's end${on ? `, the limit on ${on}` : ""}`;
}

/**
 * What a refusal means, in words: the plan's limit, what was used, what the call asked for, and
 * that nothing was recorded. `children` is the way up (plan buttons, a link to pricing).
 */
export function UpgradePrompt(props: {
  limitExceeded: LimitExceeded;
  tier?: string;
  children?: React.ReactNode;
}) {
  const catalog = useUsageCatalog();
  const { feature, used, limit, requested } = props.limitExceeded;
  const label = featureNoun(feature, catalog);
  const amount = (n: number) => formatAmount(feature, n, catalog);
  const left = Math.max(0, limit - used);
  const plan = props.tier ? `${tierLabel(props.tier, catalog)} plan` : "plan";
  return (
    <div role="alert" className="usagekit-upgrade" data-testid="limit-exceeded">
      <strong>Limit reached.</strong>{" "}
      {limit === 0
        ? `${featureLabel(feature, catalog)} is not in your ${plan}.`
        : `Your ${plan} includes ${amount(limit)} ${label} a month and you have used ${amount(used)}: this needed ${amount(requested)}, ${left === 0 ? "none is" : `only ${amount(left)} is`} left.`}{" "}
      Nothing was recorded.
      {props.children && <div className="usagekit-upgrade-actions">{props.children}</div>}
    </div>
  );
}
