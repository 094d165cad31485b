"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import Link from "next/link";
import { featureLabel, tierLabel } from "@usagekit/react";
import { features } from "@usagekit/usage-api/tiers";
import type { Feature } from "@usagekit/usage-api";
import { CANDIDATES_SHOWN, monthLabel, pct, PLAN_RULE } from "~/lib/features";
import { learners } from "~/lib/demo-users";
import { generatedName } from "~/lib/population";
import { FeatureValueCard } from "./feature-value";
import { useTRPC } from "~/trpc/react";
import {
  AdoptionChart,
  DropOffChart,
  OverageChart,
  QuietChart,
  SegmentsChart,
} from "./insights-charts";
import { TableCard } from "./table-card";

const nameOf = (userId: string) =>
  learners.find((u) => u.id === userId)?.name ?? generatedName(userId) ?? userId.slice(0, 8);

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
  const nobody = `No learner was active in ${monthLabel(month)} yet.`;

  return (
    <>
      <div className="row">
        <h1 className="title">Insights · {monthLabel(month)} (UTC)</h1>
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
                {t.tier}: {t.activeUsers} active{" "}
              </span>
            ))}
          </p>
          {active === 0 ? <Empty id="adoption">{nobody}</Empty> : <AdoptionChart data={adoption} />}
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
                {s.segment}: {s.users} ({pct(s.share)})
              </li>
            ))}
          </ul>
          {active === 0 ? <Empty id="segments">{nobody}</Empty> : <SegmentsChart data={segments} />}
        </section>
        <section className="card">
          <h2>Drop-off</h2>
          <p
            data-testid="dropoff"
            data-started={dropOff.conversationsStarted}
            data-completed={dropOff.sessionsCompleted}
          >
            {dropOff.conversationsStarted} conversations started, {dropOff.sessionsCompleted}{" "}
            completed ({pct(dropOff.completionRate)}); quiet for 7 / 14 / 30 days:{" "}
            {dropOff.inactive.days7} / {dropOff.inactive.days14} / {dropOff.inactive.days30} of{" "}
            {dropOff.inactive.knownUsers}
          </p>
          {active === 0 ? (
            <Empty id="dropoff">{nobody}</Empty>
          ) : (
            <>
              <DropOffChart data={dropOff} />
              <QuietChart data={dropOff} />
            </>
          )}
        </section>
        <section className="card">
          <h2>Overage revenue</h2>
          <p data-testid="overage-total" data-value={overage.total}>
            Billable this month: <strong>${overage.total}</strong>
          </p>
          {overage.total === "0.00" ? (
            <Empty id="overage">
              No learner ran past an included limit in {monthLabel(month)}.
            </Empty>
          ) : (
            <OverageChart data={overage} />
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
            <td>{c.users}</td>
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
      <TableCard
        title="Upgrade candidates"
        note={`The ${CANDIDATES_SHOWN} learners refused most often at a limit, then by overage; the plan is the month's plan.`}
        empty={
          candidates.candidates.length === 0 && "Nobody hit a limit or ran overage this month."
        }
        testId="candidates"
        head={["Learner", "Plan", "Refused at", "Overage"]}
      >
        {candidates.candidates.map((c) => (
          <tr key={c.userId}>
            <td>{nameOf(c.userId)}</td>
            <td>{tierLabel(c.tier)}</td>
            <td>
              {c.refusals
                .map(
                  (r) =>
                    `${(features as readonly string[]).includes(r.feature) ? featureLabel(r.feature as Feature) : r.feature} ×${r.count}`,
                )
                .join(", ") || "—"}
            </td>
            <td>{c.overageSeconds > 0 ? `${Math.round(c.overageSeconds / 60)} min` : "—"}</td>
          </tr>
        ))}
      </TableCard>
    </>
  );
}
