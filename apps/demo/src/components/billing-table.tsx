"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { formatAmount, tierLabel } from "@usagekit/react";
import { monthLabel, PLAN_RULE } from "~/lib/features";
import { useTRPC } from "~/trpc/react";
import { ScrollX } from "./scroll-x";

/** The learner's bills of the last 12 months: the plan paid for and the overage run. */
export function BillingTable() {
  const trpc = useTRPC();
  const bills = useSuspenseQuery(trpc.usage.getBillingHistory.queryOptions({ months: 12 })).data;
  return (
    <section className="card">
      <h2>Billing history</h2>
      <p className="muted">{PLAN_RULE}</p>
      {bills.length === 0 ? (
        <p className="muted">Nothing billed yet: the free plan costs nothing.</p>
      ) : (
        <ScrollX label="Billing history">
          <table data-testid="billing">
            <thead>
              <tr>
                <th>Month</th>
                <th>Plan</th>
                <th>Paid</th>
                <th>Overage</th>
                <th>Total</th>
              </tr>
            </thead>
            <tbody>
              {bills.map((b) => (
                <tr key={b.month} data-month={b.month} data-total={b.total}>
                  <td>{monthLabel(b.month)}</td>
                  <td>{tierLabel(b.tier)}</td>
                  <td>${b.paid}</td>
                  <td>
                    ${b.overage}
                    {b.overageUnits.seconds
                      ? ` (${formatAmount("seconds", b.overageUnits.seconds)} over)`
                      : ""}
                  </td>
                  <td>
                    <strong>${b.total}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
    </section>
  );
}
