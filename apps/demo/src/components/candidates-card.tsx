"use client";

import { featureLabel, formatAmount, localDateLabel, tierLabel } from "@usagekit/react";
import { features } from "@usagekit/usage-api/tiers";
import type { Feature, UpgradeCandidates } from "@usagekit/usage-api";
import { learners } from "~/lib/demo-users";
import { CANDIDATES_SHOWN } from "~/lib/features";
import { formatMoney } from "~/lib/format";
import { generatedName } from "~/lib/population";
import { TableCard } from "./table-card";

const nameOf = (userId: string) =>
  learners.find((u) => u.id === userId)?.name ?? generatedName(userId) ?? userId.slice(0, 8);
/** A feature's name as the catalog says it (a feature the catalog no longer has, as it was). */
const nameOfFeature = (feature: string) =>
  (features as readonly string[]).includes(feature) ? featureLabel(feature as Feature) : feature;

/**
 * The learners most worth an upgrade offer, as the API ranks them: what they are worth (their
 * overage money, plus the next plan's price when a limit refused them or will this month), what
 * refused them, their overage, and the limit their pace reaches this month.
 */
export function CandidatesCard({ data }: { data: UpgradeCandidates }) {
  return (
    <TableCard
      title="Upgrade candidates"
      note={`The ${CANDIDATES_SHOWN} learners worth most: their overage money, plus a month of the next plan's price when a limit refused them or will this month. The plan is the month's plan.`}
      empty={data.candidates.length === 0 && "Nobody hit a limit or ran overage this month."}
      testId="candidates"
      head={["Learner", "Plan", "Worth", "Refused at", "Overage", "This month"]}
    >
      {data.candidates.map((c) => (
        <tr key={c.userId} data-user={c.userId} data-worth={c.worth}>
          <td>{nameOf(c.userId)}</td>
          <td>{tierLabel(c.tier)}</td>
          <td>{formatMoney(c.worth)}</td>
          <td>
            {c.refusals.map((r) => `${nameOfFeature(r.feature)} ×${r.count}`).join(", ") || "—"}
          </td>
          <td>
            {c.overageSeconds > 0
              ? `${formatAmount("seconds", c.overageSeconds)} · ${formatMoney(c.overageMoney)}`
              : "—"}
          </td>
          <td data-testid="runs-out">
            {c.runsOut
              .map(
                (r) =>
                  `${nameOfFeature(r.feature)}: will hit the limit on ${localDateLabel(r.reachesLimitOn)}`,
              )
              .join("; ") || "—"}
          </td>
        </tr>
      ))}
    </TableCard>
  );
}
