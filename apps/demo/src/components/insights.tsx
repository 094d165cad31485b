"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { tierLabel } from "@usagekit/react";
import { CANDIDATES_SHOWN, monthLabel, monthSoFar, pct, PLAN_RULE } from "~/lib/features";
import { formatCount, formatMoney } from "~/lib/format";
import { FeatureValueCard } from "./feature-value";
import { useTRPC } from "~/trpc/react";
import {
  AdoptionChart,
  DropOffChart,
  OverageChart,
  QuietChart,
  SegmentsChart,
} from "./insights-charts";
import { CandidatesCard } from "./candidates-card";
import { TableCard } from "./table-card";

function Empty({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <p className="muted empty" data-testid={`empty-${id}`}>
      {children}
    </p>
  );
}

/** The app owner's view: adoption, segments, retention, drop-off, overage and upgrade candidates. */
export function Insights(props: {
  month: string;
  fromMonth: string;
  previous: string;
  /** The month after, or null when that is in the future. */
  next: string | null;
  /** This month, by the demo's clock: its figures are so far. */
  current: string;
}) {
  const trpc = useTRPC();
  const { month } = props;
  const adoption = useSuspenseQuery(trpc.analytics.featureAdoption.queryOptions({ month })).data;
  const segments = useSuspenseQuery(trpc.analytics.userSegments.queryOptions({ month })).data;
  const retention = useSuspenseQuery(
    trpc.analytics.retention.queryOptions({ fromMonth: props.fromMonth, months: 6 }),
  ).data;
  const dropOff = useSuspenseQuery(trpc.analytics.dropOff.queryOptions({ month })).data;
  const overage = useSuspenseQuery(trpc.analytics.overage.queryOptions({ month })).data;
  const candidates = useSuspenseQuery(
    trpc.analytics.upgradeCandidates.queryOptions({ month, limit: CANDIDATES_SHOWN }),
  ).data;
  const value = useSuspenseQuery(trpc.analytics.featureValue.queryOptions({ month })).data;
  const active = adoption.tiers.reduce((n, t) => n + t.activeUsers, 0);
  const period = monthLabel(month);
  const nobody = `No learner was active in ${monthLabel(month)} yet.`;

  return (
    <>
      <div className="row">
        <h1 className="title">Insights · {monthSoFar(month, props.current)}</h1>
        <span className="spacer" />
        <Link href={`/insights?month=${props.previous}`}>← {monthLabel(props.previous)}</Link>
        {props.next && (
          <Link href={`/insights?month=${props.next}`}>{monthLabel(props.next)} →</Link>
        )}
      </div>
      <p className="muted" data-testid="plan-rule">
        Months are UTC calendar months. {PLAN_RULE}
      </p>
      <div className="grid">
        <section className="card">
          <h2>Feature adoption by tier</h2>
          <p className="muted">
            {adoption.tiers.map((t) => (
              <span key={t.tier} data-testid={`active-${t.tier}`} data-value={t.activeUsers}>
                {tierLabel(t.tier)}: {formatCount(t.activeUsers)} active{" "}
              </span>
            ))}
          </p>
          {active === 0 ? (
            <Empty id="adoption">{nobody}</Empty>
          ) : (
            <AdoptionChart data={adoption} period={period} />
          )}
        </section>
        <section className="card">
          <h2>Segments by practice time</h2>
          <p className="muted">
            power ≥ {segments.thresholds.powerSeconds / 3600} h, regular ≥{" "}
            {segments.thresholds.regularSeconds / 3600} h
          </p>
          <ul className="plain">
            {segments.segments.map((s) => (
              <li key={s.segment} data-testid={`segment-${s.segment}`} data-value={s.users}>
                {s.segment}: {formatCount(s.users)} learners ({pct(s.share)})
              </li>
            ))}
          </ul>
          {active === 0 ? (
            <Empty id="segments">{nobody}</Empty>
          ) : (
            <SegmentsChart data={segments} period={period} />
          )}
        </section>
        <section className="card">
          <h2>Drop-off</h2>
          <p
            data-testid="dropoff"
            data-started={dropOff.conversationsStarted}
            data-completed={dropOff.sessionsCompleted}
          >
            {formatCount(dropOff.conversationsStarted)} conversations started,{" "}
            {formatCount(dropOff.sessionsCompleted)} completed ({pct(dropOff.completionRate)});
            quiet for 7 / 14 / 30 days: {formatCount(dropOff.inactive.days7)} /{" "}
            {formatCount(dropOff.inactive.days14)} / {formatCount(dropOff.inactive.days30)} of{" "}
            {formatCount(dropOff.inactive.knownUsers)} learners
          </p>
          {active === 0 ? (
            <Empty id="dropoff">{nobody}</Empty>
          ) : (
            <>
              <DropOffChart data={dropOff} period={period} />
              <QuietChart data={dropOff} period={period} />
            </>
          )}
        </section>
        <section className="card">
          <h2>Overage revenue</h2>
          <p data-testid="overage-total" data-value={overage.total}>
            Billable in {monthSoFar(month, props.current)}:{" "}
            <strong>{formatMoney(overage.total)}</strong>
          </p>
          {overage.total === "0.00" ? (
            <Empty id="overage">
              No learner ran past an included limit in {monthLabel(month)}.
            </Empty>
          ) : (
            <OverageChart data={overage} period={period} />
          )}
        </section>
      </div>
      <FeatureValueCard data={value} />
      <TableCard
        title="Retention by cohort (share active N months after the first)"
        label="Retention by cohort"
        testId="retention"
        head={["Cohort", "Users", ...retention.cohorts.map((_, k) => `+${k}`)]}
      >
        {retention.cohorts.map((c) => (
          <tr key={c.month}>
            <td>{monthLabel(c.month)}</td>
            <td>{formatCount(c.users)}</td>
            {retention.cohorts.map((_, k) => (
              <td
                key={k}
                style={{
                  background:
                    c.retention[k] === undefined
                      ? undefined
                      : `rgba(48, 86, 211, ${c.retention[k]! * 0.6})`,
                }}
              >
                {c.retention[k] === undefined || c.users === 0 ? "" : pct(c.retention[k]!)}
              </td>
            ))}
          </tr>
        ))}
      </TableCard>
      <CandidatesCard data={candidates} />
    </>
  );
}
