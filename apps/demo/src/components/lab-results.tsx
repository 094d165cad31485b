"use client";

import { featureLabel, tierLabel } from "@usagekit/react";
import { features } from "@usagekit/db/catalog";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@usagekit/usage-api";
import { monthLabel, monthSoFar } from "~/lib/features";
import { addMoney, formatCount, formatMoney } from "~/lib/format";
import { CompareChart } from "./lab-charts";
import { ScrollX } from "./scroll-x";

type Simulation = inferRouterOutputs<AppRouter>["analytics"]["simulateCatalog"];
export type SimulatedMonth = Simulation["months"][number];
type Figures = SimulatedMonth["tiers"][number]["actual"];

const revenue = (f: Figures) => addMoney(f.subscriptionRevenue, f.overageMoney);
/** At least this many were refused: the learners refused at the feature that refused most. */
const refused = (f: Figures) => Math.max(0, ...Object.values(f.refusedLearners).map(Number));

/** The measures compared per plan, each in words and as shown (counts grouped, money in $). */
function measures(t: SimulatedMonth["tiers"][number]) {
  const refusedAt = features.filter(
    (f) => t.actual.refusedLearners[f] || t.draft.refusedLearners[f],
  );
  const count = (n: number | undefined) => formatCount(n ?? 0);
  return [
    { id: "learners", name: "Learners", show: (f: Figures) => count(f.learners) },
    ...(refusedAt.length === 0
      ? [{ id: "refused", name: "Learners refused", show: () => "0" }]
      : refusedAt.map((feature) => ({
          id: `refused-${feature}`,
          name: `Learners refused at ${featureLabel(feature).toLowerCase()}`,
          show: (f: Figures) => count(f.refusedLearners[feature]),
        }))),
    { id: "refusedEvents", name: "Attempts refused", show: (f: Figures) => count(f.refusedEvents) },
    {
      id: "subscription",
      name: "Subscriptions",
      show: (f: Figures) => formatMoney(f.subscriptionRevenue),
    },
    { id: "overage", name: "Overage", show: (f: Figures) => formatMoney(f.overageMoney) },
    { id: "revenue", name: "Revenue", show: (f: Figures) => formatMoney(revenue(f)) },
    {
      id: "candidates",
      name: "Upgrade candidates",
      show: (f: Figures) => count(f.upgradeCandidates),
    },
  ];
}

/** One month of the pricing lab: each plan's figures today beside the draft's, and as charts. */
export function LabMonth({ data, current }: { data: SimulatedMonth; current: string }) {
  const label = monthSoFar(data.month, current);
  const axis = monthLabel(data.month);
  const rows = (pick: (f: Figures) => number) =>
    data.tiers.map((t) => ({ tier: t.tier, today: pick(t.actual), draft: pick(t.draft) }));
  return (
    <section className="card" data-testid={`lab-month-${data.month}`}>
      <h2>{label}: today and with the draft</h2>
      <ScrollX label={`${label}: today and with the draft`}>
        <table className="lab-table" data-testid="lab-table">
          <thead>
            <tr>
              <th scope="col">Plan and measure</th>
              <th scope="col">Today</th>
              <th scope="col">Draft</th>
            </tr>
          </thead>
          {data.tiers.map((t) => (
            <tbody key={t.tier}>
              <tr>
                <th scope="rowgroup" colSpan={3} className="lab-plan">
                  {tierLabel(t.tier)}
                </th>
              </tr>
              {measures(t).map((m) => (
                <tr key={m.id} data-tier={t.tier} data-measure={m.id}>
                  <th scope="row">{m.name}</th>
                  <td data-side="actual">{m.show(t.actual)}</td>
                  <td data-side="draft">{m.show(t.draft)}</td>
                </tr>
              ))}
            </tbody>
          ))}
        </table>
      </ScrollX>
      <p className="muted small">
        The chart counts the learners refused at the feature that refused the most of them. A
        refusal the draft would lift counts as allowed: the real learner may then have done more.
      </p>
      <div className="lab-charts">
        <CompareChart
          id={`lab-chart-refused-${data.month}`}
          unit={`learners refused · ${axis}`}
          rows={rows(refused)}
        />
        <CompareChart
          id={`lab-chart-revenue-${data.month}`}
          unit={`revenue in $ · ${axis}`}
          money
          rows={rows((f) => Number(revenue(f)))}
        />
        <CompareChart
          id={`lab-chart-overage-${data.month}`}
          unit={`overage in $ · ${axis}`}
          money
          rows={rows((f) => Number(f.overageMoney))}
        />
      </div>
    </section>
  );
}
