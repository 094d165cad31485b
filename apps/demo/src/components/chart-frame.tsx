"use client";

import { ResponsiveContainer } from "recharts";
import { useMounted } from "./use-mounted";

export const tierColors = { free: "#98a2b3", plus: "#3056d3", pro: "#7a2e9e" } as const;
const HEIGHT = 260;

/** A value axis's name, written up its side ("learners · Dec 2026"). */
export const axisLabel = (value: string) =>
  ({ value, angle: -90, position: "insideLeft", fontSize: 11 }) as const;

/**
 * Charts measure text in the browser: the server renders a box of the same height, and the chart
 * takes the card's width (they resize with the page, down to a phone).
 */
export function ChartFrame(props: { id: string; children: React.ReactElement }) {
  const mounted = useMounted();
  return (
    <div className="chart-frame" data-testid={props.id} style={{ minHeight: HEIGHT }}>
      {mounted ? (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          {props.children}
        </ResponsiveContainer>
      ) : null}
    </div>
  );
}
