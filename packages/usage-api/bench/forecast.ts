/**
 * `pnpm bench` (part 4): a backtest of the forecast on the demo's generated population (2,000
 * learners over a year, `apps/demo/src/lib/population.ts`). For every learner and every whole
 * local month they were signed up for, the forecast is made as it would be at the end of the
 * month's 10th local day — their use so far, their active days this month and in the last 28
 * days, through the same `project` the API uses — and compared with what they used by the month's
 * end. Prints the median absolute error per limited feature. A benchmark, not a test.
 */
import { defaultTiers } from "../src";
import type { Feature } from "../src/limits/tiers";
import { HABIT_DAYS, project } from "../src/progress/forecast";
import { median } from "./harness";
import {
  DAY,
  eventsOn,
  FIRST,
  generatedLearner,
  LEARNERS,
  POPULATION_DAYS,
  tierOn,
} from "./population";

const FORECAST_DAY = 10;
const dateOf = (day: number) => new Date(FIRST + day * DAY);
const features = Object.keys(defaultTiers.free) as Feature[];

const errors = new Map<Feature, number[]>(features.map((f) => [f, []]));
const actuals = new Map<Feature, number[]>(features.map((f) => [f, []]));
for (let i = 0; i < LEARNERS; i++) {
  const learner = generatedLearner(i);
  // Per local day: what the learner used of each feature.
  const days = Array.from({ length: POPULATION_DAYS }, (_, day) => {
    const used = Object.fromEntries(features.map((f) => [f, 0])) as Record<Feature, number>;
    for (const e of eventsOn(learner, day, FIRST + day * DAY))
      for (const [f, n] of Object.entries(e.amounts)) used[f as Feature] += n ?? 0;
    return used;
  });
  const active = days.map((d) => features.some((f) => d[f] > 0));
  const firstActive = active.indexOf(true);
  if (firstActive < 0) continue;
  // Each whole month within the year, from the 1st.
  for (let start = 0; start < POPULATION_DAYS; start++) {
    const date = dateOf(start);
    if (date.getUTCDate() !== 1) continue;
    const daysInMonth = new Date(
      Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0),
    ).getUTCDate();
    const end = start + daysInMonth;
    const cut = start + FORECAST_DAY; // the day after the 10th
    if (end > POPULATION_DAYS || learner.signupDay >= cut) continue;
    if (learner.churnDay !== null && learner.churnDay <= start) continue;
    const month = date.toISOString().slice(0, 7);
    const tier = tierOn(learner, cut - 1);
    const recentFrom = Math.max(cut - HABIT_DAYS, firstActive);
    const known = {
      today: `${month}-${String(FORECAST_DAY).padStart(2, "0")}`,
      dayOfMonth: FORECAST_DAY,
      daysInMonth,
      activeThisMonth: active.slice(start, cut).filter(Boolean).length,
      activeRecently: active.slice(recentFrom, cut).filter(Boolean).length,
      daysKnown: Math.max(0, cut - recentFrom),
    };
    for (const f of features) {
      const limit = defaultTiers[tier][f].limit;
      if (limit === null || limit === 0) continue;
      const sum = (from: number, to: number) => days.slice(from, to).reduce((s, d) => s + d[f], 0);
      const forecast = project(sum(start, cut), limit, known, month);
      const actual = sum(start, end);
      errors.get(f)!.push(Math.abs(forecast.projected - actual));
      actuals.get(f)!.push(actual);
    }
  }
}

console.log(
  `\nForecast backtest: ${LEARNERS.toLocaleString("en-US")} generated learners, forecast at the end of local day ${FORECAST_DAY}, against the month's end`,
);
console.log("| feature | learner-months | median abs. error | median use at month's end |");
console.log("| --- | ---: | ---: | ---: |");
for (const f of features) {
  const e = errors.get(f)!;
  if (e.length === 0) continue;
  console.log(
    `| ${f} | ${e.length.toLocaleString("en-US")} | ${median(e)} | ${median(actuals.get(f)!)} |`,
  );
}
