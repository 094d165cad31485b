"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { featureLabel, formatAmount } from "@usagekit/react";
import { monthLabel } from "~/lib/features";
import { useTRPC } from "~/trpc/react";

/**
 * The conversion path in the month: how many learners were warned at 80 % and reached 100 % of
 * a limit (the alerts), and what top-ups brought in and gave.
 */
export function MonetizationCard({ month }: { month: string }) {
  const trpc = useTRPC();
  const report = useSuspenseQuery(trpc.analytics.monetization.queryOptions({ month })).data;
  const minutes = (m: Record<string, number>) => formatAmount("seconds", m.seconds ?? 0);
  return (
    <section className="card" data-testid="monetization">
      <h2>Alerts and top-ups</h2>
      <p data-testid="top-up-revenue" data-value={report.topUps.revenue}>
        Top-up revenue in {monthLabel(month)}: <strong>${report.topUps.revenue}</strong> from{" "}
        {report.topUps.payers} {report.topUps.payers === 1 ? "learner" : "learners"} ·{" "}
        {minutes(report.topUps.granted)} of practice time granted,{" "}
        {minutes(report.topUps.usedFromGrants)} used
      </p>
      {report.alerts.length === 0 ? (
        <p className="muted" data-testid="alerts-empty">
          No learner reached a threshold of a limit in {monthLabel(month)}.
        </p>
      ) : (
        <table data-testid="alerts-table">
          <caption className="muted">Learners who reached a share of a limit</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Reached</th>
              <th scope="col">Learners</th>
            </tr>
          </thead>
          <tbody>
            {report.alerts.map((a) => (
              <tr key={`${a.feature}-${a.threshold}`} data-feature={a.feature}>
                <td>{featureLabel(a.feature)}</td>
                <td>{a.threshold} %</td>
                <td data-threshold={a.threshold}>{a.learners}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
