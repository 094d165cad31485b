"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { tierLabel } from "@usagekit/react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@usagekit/usage-api";
import { monthLabel, PLAN_RULE } from "~/lib/features";
import { formatCount } from "~/lib/format";
import { useTRPC } from "~/trpc/react";
import { TableCard } from "./table-card";

const minutes = (s: number) => Math.round(s / 60);

type Month = inferRouterOutputs<AppRouter>["usage"]["getUsageHistory"][number];

/** The table's columns: each one's name (also its label in a phone's stacked rows) and value. */
const columns: [string, (m: Month) => React.ReactNode][] = [
  ["Month", (m) => monthLabel(m.month)],
  ["Plan", (m) => tierLabel(m.tierWhenUsed)],
  ["Conversations", (m) => formatCount(m.conversations)],
  ["Minutes", (m) => formatCount(minutes(m.seconds))],
  ["Avg session", (m) => `${minutes(m.averageSessionLength)} min`],
  ["Longest", (m) => `${minutes(m.longestSession)} min`],
  ["Anki", (m) => formatCount(m.ankiExportsUsed)],
  ["Phrases", (m) => formatCount(m.customPhrasesCreated)],
  ["Adv. voice min", (m) => formatCount(minutes(m.advancedVoiceSeconds))],
  ["Extensions", (m) => formatCount(m.sessionExtensionsUsed)],
  ["Overage min", (m) => formatCount(minutes(m.overageSeconds))],
];

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
      head={columns.map((c) => c[0])}
      stacked
    >
      {history.map((m) => (
        <tr key={m.month}>
          {columns.map(([label, value]) => (
            <td key={label} data-label={label}>
              {value(m)}
            </td>
          ))}
        </tr>
      ))}
    </TableCard>
  );
}
