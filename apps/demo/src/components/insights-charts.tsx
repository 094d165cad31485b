"use client";

import type { DropOff, FeatureAdoption, Overage, UserSegments } from "@usagekit/usage-api";
import { features } from "@usagekit/usage-api/tiers";
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { featureLabel, tierLabel } from "@usagekit/react";
import { axisLabel, ChartFrame, tierColors } from "./chart-frame";

/** Each chart's value axis names its unit and the month it counts ("learners · Dec 2026"). */
interface Of<T> {
  data: T;
  period: string;
}

export function AdoptionChart({ data, period }: Of<FeatureAdoption>) {
  const rows = features.map((f) => ({
    feature: featureLabel(f),
    ...Object.fromEntries(data.tiers.map((t) => [t.tier, Math.round(t.features[f].rate * 100)])),
  }));
  return (
    <ChartFrame id="chart-adoption">
      <BarChart data={rows} margin={{ left: 0, right: 8, bottom: 40 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="feature" angle={-30} textAnchor="end" interval={0} fontSize={10} />
        <YAxis unit="%" fontSize={11} label={axisLabel(`% of active learners · ${period}`)} />
        <Tooltip />
        <Legend verticalAlign="top" />
        {data.tiers.map((t) => (
          <Bar
            key={t.tier}
            dataKey={t.tier}
            name={tierLabel(t.tier)}
            fill={tierColors[t.tier]}
            isAnimationActive={false}
          />
        ))}
      </BarChart>
    </ChartFrame>
  );
}

export function SegmentsChart({ data, period }: Of<UserSegments>) {
  return (
    <ChartFrame id="chart-segments">
      <BarChart data={data.segments} layout="vertical" margin={{ left: 24, bottom: 16 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={false} />
        <XAxis
          type="number"
          allowDecimals={false}
          fontSize={11}
          label={{
            value: `learners · ${period}`,
            position: "insideBottom",
            offset: -8,
            fontSize: 11,
          }}
        />
        <YAxis type="category" dataKey="segment" fontSize={12} />
        <Tooltip />
        <Bar dataKey="users" name="learners" fill="#3056d3" isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}

/** Counts by name, as bars on their own axis (`unit` names what is counted). */
function CountChart(props: {
  id: string;
  unit: string;
  fill: string;
  rows: { name: string; count: number }[];
}) {
  return (
    <ChartFrame id={props.id}>
      <BarChart data={props.rows}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="name" fontSize={11} />
        <YAxis allowDecimals={false} fontSize={11} label={axisLabel(props.unit)} />
        <Tooltip />
        <Bar dataKey="count" name={props.unit} fill={props.fill} isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}

/** Sessions: started and completed (counts of sessions, on their own axis). */
export const DropOffChart = ({ data, period }: Of<DropOff>) => (
  <CountChart
    id="chart-dropoff"
    unit={`conversations · ${period}`}
    fill="#d97706"
    rows={[
      { name: "Started", count: data.conversationsStarted },
      { name: "Completed", count: data.sessionsCompleted },
    ]}
  />
);

/** Learners quiet for 7, 14 and 30 days (counts of people, on their own axis). */
export const QuietChart = ({ data, period }: Of<DropOff>) => (
  <CountChart
    id="chart-quiet"
    unit={`learners quiet · ${period}`}
    fill="#667085"
    rows={[
      { name: "7 days", count: data.inactive.days7 },
      { name: "14 days", count: data.inactive.days14 },
      { name: "30 days", count: data.inactive.days30 },
    ]}
  />
);

export function OverageChart({ data, period }: Of<Overage>) {
  const rows = data.byTier.map((t) => ({
    tier: tierLabel(t.tier),
    dollars: Number(t.amount),
    minutes: Math.round(t.overageSeconds / 60),
  }));
  return (
    <ChartFrame id="chart-overage">
      <BarChart data={rows}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="tier" fontSize={12} />
        <YAxis
          tickFormatter={(v: number) => `$${v}`}
          fontSize={11}
          label={axisLabel(`overage in $ · ${period}`)}
        />
        <Tooltip />
        <Bar dataKey="dollars" fill="#b42318" isAnimationActive={false} />
      </BarChart>
    </ChartFrame>
  );
}
