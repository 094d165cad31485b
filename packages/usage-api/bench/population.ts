/**
 * The demo's generated population (`apps/demo/src/lib/population.ts`, pure functions of the
 * learner's number and the day) as the benches use it: the demo's 2,000 learners, over a year
 * whose first local day is 1 December 2025 (any date: the generator works in local days).
 */
export {
  eventsOn,
  generatedLearner,
  paymentOn,
  POPULATION_DAYS,
  tierOn,
} from "../../../apps/demo/src/lib/population";

export const LEARNERS = 2_000;
export const DAY = 86_400_000;
export const FIRST = Date.UTC(2025, 11, 1);
