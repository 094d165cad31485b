"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { tierLabel } from "@usagekit/react";
import { monthLabel, PLAN_RULE } from "~/lib/features";
import { useTRPC } from "~/trpc/react";
import { ScrollX } from "./scroll-x";

const minutes = (s: number) => Math.round(s / 60);

/** The monthly rows of the last 12 months, newest first. */
export function HistoryTable() {
  const trpc = useTRPC();
  const history = useSuspenseQuery(trpc.usage.getUsageHistory.queryOptions({ months: 12 })).data;
  return (
    <section className="card">
      <h2>Monthly history</h2>
      <p className="muted">{PLAN_RULE}</p>
      {history.length === 0 ? (
        <p className="muted">No usage recorded yet.</p>
      ) : (
        <ScrollX label="Monthly history">
          <table data-testid="history">
            <thead>
              <tr>
                <th>Month</th>
                <th>Plan</th>
                <th>Conversations</th>
                <th>Minutes</th>
                <th>Avg session</th>
                <th>Longest</th>
                <th>Anki</th>
                <th>Phrases</th>
                <th>Adv. voice min</th>
                <th>Extensions</th>
                <th>Overage min</th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </ScrollX>
      )}
    </section>
  );
}
