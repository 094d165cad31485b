"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { monthLabel } from "~/lib/features";
import { useTRPC } from "~/trpc/react";

/** Minutes practised in each of the last 12 months (months without usage show as empty). */
export function MonthChart() {
  const trpc = useTRPC();
  const history = useSuspenseQuery(trpc.usage.getUsageHistory.queryOptions({ months: 12 })).data;
  const rows = [...history].reverse();
  const max = Math.max(1, ...rows.map((m) => m.seconds));
  const width = 36;
  return (
    <section className="card">
      <h2>Last 12 months</h2>
      {rows.length === 0 ? (
        <p className="muted">No practice yet — your months will show up here.</p>
      ) : (
        <svg
          viewBox={`0 0 ${rows.length * width} 140`}
          className="chart"
          role="img"
          aria-label="Minutes practised per month"
        >
          {rows.map((m, i) => {
            const h = Math.round((m.seconds / max) * 90);
            return (
              <g key={m.month} data-testid={`chart-${m.month}`}>
                <rect
                  x={i * width + 6}
                  y={110 - h}
                  width={width - 12}
                  height={h}
                  className="chart-bar"
                />
                <text
                  x={i * width + width / 2}
                  y={106 - h}
                  textAnchor="middle"
                  className="chart-value"
                >
                  {Math.round(m.seconds / 60)}
                </text>
                <text x={i * width + width / 2} y={128} textAnchor="middle" className="chart-label">
                  {monthLabel(m.month).slice(0, 3)}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </section>
  );
}
