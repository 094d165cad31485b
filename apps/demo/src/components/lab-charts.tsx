"use client";

import { tierLabel } from "@usagekit/react";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { formatCount } from "~/lib/format";
import { axisLabel, ChartFrame } from "./chart-frame";

/** One figure per plan, today and under the draft (plain numbers, for drawing only). */
export interface Compared {
  tier: string;
  today: number;
  draft: number;
}

/**
 * Today's figure beside the draft's for each plan, on an axis that names its unit and month
 * ("$ · Dec 2026"); money axes read in dollars.
 */
export function CompareChart(props: {
  id: string;
  unit: string;
  money?: boolean;
  rows: Compared[];
}) {
  // Drawing only: money ticks in dollars, with cents where a tick has them ("$0.50").
  const tick = (v: number) =>
    !props.money ? formatCount(v) : Number.isInteger(v) ? `$${formatCount(v)}` : `$${v.toFixed(2)}`;
  const rows = props.rows.map((r) => ({ ...r, plan: tierLabel(r.tier) }));
  return (
    <ChartFrame id={props.id}>
      <BarChart data={rows} margin={{ left: 16, right: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="plan" fontSize={12} />
        <YAxis
          allowDecimals={!!props.money}
          tickFormatter={tick}
          fontSize={11}
          label={axisLabel(props.unit)}
        />
        <Tooltip formatter={(v) => tick(Number(v))} />
        <Legend verticalAlign="top" />
        <Bar dataKey="today" name="Today" fill="#98a2b3" isAnimationActive={false} />
        <Bar dataKey="draft" name="Draft" fill="#3056d3" isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}
