"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { formatAmount, tierLabel } from "@usagekit/react";
import { monthLabel, PLAN_RULE } from "~/lib/features";
import { useTRPC } from "~/trpc/react";
import { TableCard } from "./table-card";

/** The learner's bills of the last 12 months: the plan paid for and the overage run. */
export function BillingTable() {
  const trpc = useTRPC();
  const bills = useSuspenseQuery(trpc.usage.getBillingHistory.queryOptions({ months: 12 })).data;
  return (
    <TableCard
      title="Billing history"
      note={PLAN_RULE}
      empty={bills.length === 0 && "Nothing billed yet: the Free plan costs nothing."}
      testId="billing"
      head={["Month", "Plan", "Paid", "Overage", "Total"]}
    >
      {bills.map((b) => (
        <tr key={b.month} data-month={b.month} data-overage={b.overage} data-total={b.total}>
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
    </TableCard>
  );
}
