"use client";

import { featureLabel, formatAmount, tierLabel } from "@usagekit/react";
import type { FeatureValue } from "@usagekit/usage-api";
import { features } from "@usagekit/usage-api/tiers";
import { monthLabel, pct } from "~/lib/features";
import { formatCount } from "~/lib/format";
import { TableCard } from "./table-card";

/**
 * What each feature is worth per plan: how many of the plan's learners use it, how much, and
 * how many of those who used it the month before came back — against those who did not.
 */
export function FeatureValueCard({ data }: { data: FeatureValue }) {
  const tiers = data.tiers.filter((t) => t.activeUsers > 0);
  return (
    <TableCard
      title="Feature value by plan"
      note={
        <>
          Per plan: share of active learners using the feature · mean use per user · of{" "}
          {monthLabel(data.previousMonth)}&apos;s learners who used it (vs. did not), the share
          active again in {monthLabel(data.month)}.
        </>
      }
      empty={
        tiers.length === 0 &&
        `No learner was active in ${monthLabel(data.month)}: nothing to compare yet.`
      }
      testId="feature-value"
      head={[
        "Feature",
        ...tiers.map((t) => `${tierLabel(t.tier)} (${formatCount(t.activeUsers)})`),
      ]}
    >
      {features.map((f) => (
        <tr key={f}>
          <td>{featureLabel(f)}</td>
          {tiers.map((t) => {
            const v = t.features[f];
            return (
              <td
                key={t.tier}
                data-tier={t.tier}
                data-feature={f}
                data-users={v.users}
                data-retained-with={v.retainedWith ?? ""}
              >
                {v.users === 0 ? (
                  "not used"
                ) : (
                  <>
                    {pct(v.adoption)} of {formatCount(t.activeUsers)} learners ·{" "}
                    {formatAmount(f, Math.round(v.perUser))}/user
                    <br />
                    <span className="muted">
                      back {pct(v.retainedWith)} vs {pct(v.retainedWithout)}
                    </span>
                  </>
                )}
              </td>
            );
          })}
        </tr>
      ))}
    </TableCard>
  );
}
