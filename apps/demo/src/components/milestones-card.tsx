"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { useTRPC } from "~/trpc/react";

/** Earned milestones with the day they were earned, and the next one of each kind. */
export function MilestonesCard({ timezone }: { timezone: string }) {
  const trpc = useTRPC();
  const { earned, next } = useSuspenseQuery(trpc.usage.getMilestones.queryOptions({})).data;
  return (
    <section className="card">
      <h2>Milestones</h2>
      <ul className="milestones" data-testid="milestones-earned">
        {earned.length === 0 && (
          <li className="muted">Practise once to earn your first milestone.</li>
        )}
        {earned.map((m) => (
          <li key={m.id} data-id={m.id}>
            ★ {m.title}{" "}
            <span className="muted">
              {m.earnedAt.toLocaleDateString("en-GB", { timeZone: timezone, dateStyle: "medium" })}
            </span>
          </li>
        ))}
      </ul>
      <h3 className="muted small">Next</h3>
      <ul className="bars" data-testid="milestones-next">
        {next.map((m) => (
          <li key={m.id} data-id={m.id}>
            <div className="bar-label">
              <span>{m.title}</span>
              <span>
                {m.progress} / {m.target}
              </span>
            </div>
            <div className="bar">
              <div style={{ width: `${(m.progress / m.target) * 100}%` }} />
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
