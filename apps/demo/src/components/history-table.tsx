"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { tierLabel } from "@usagekit/react";
import { monthLabel, PLAN_RULE } from "~/lib/features";
import { useTRPC } from "~/trpc/react";
import { TableCard } from "./table-card";

const minutes = (s: number) => Math.round(s / 60);

/** The monthly rows of the last 12 months, newest first. */
export function HistoryTable() {
  const trpc = useTRPC();
  const history = useSuspenseQuery(trpc.usage.getUsageHistory.queryOptions({ months: 12 })).data;
  return (
    <TableCard
      title="Monthly history"
      note={PLAN_RULE}
      empty={history.length === 0 && "No usage recorded yet."}
      testId="history"
      head={[
        "Month",
        "Plan",
        "Conversations",
        "Minutes",
        "Avg session",
        "Longest",
        "Anki",
        "Phrases",
        "Adv. voice min",
        "Extensions",
        "Overage min",
      ]}
    >
      {history.map((m) => (
        <tr key={m.month}>
          <td>{monthLabel(m.month)}</td>
          <td>{tierLabel(m.tierWhenUsed)}</td>
          <td>{m.conversations}</td>
          <td>{minutes(m.seconds)}</td>
          <td>{minutes(m.averageSessionLength)} min</td>
          <td>{minutes(m.longestSession)} min</td>
          <td>{m.ankiExportsUsed}</td>
          <td>{m.customPhrasesCreated}</td>
          <td>{minutes(m.advancedVoiceSeconds)}</td>
          <td>{m.sessionExtensionsUsed}</td>
          <td>{minutes(m.overageSeconds)}</td>
        </tr>
      ))}
    </TableCard>
  );
}
