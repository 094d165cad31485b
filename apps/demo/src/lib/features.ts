export const monthLabel = (month: string) =>
  new Date(`${month}-15T00:00:00Z`).toLocaleDateString("en-GB", {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });

/** A month's label, marked "(so far)" when it is the current one and not over yet. */
export const monthSoFar = (month: string, current: string) =>
  month === current ? `${monthLabel(month)} (so far)` : monthLabel(month);

/** `YYYY-MM` `offset` months from `month` (UTC calendar months). */
export const shiftMonth = (month: string, offset: number) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + offset, 1)).toISOString().slice(0, 7);
};

/** The one rule for which plan a month counts as, said wherever a month's plan is shown. */
export const PLAN_RULE =
  "A month counts as the plan of its latest event (usage or a refused attempt), in the learner's own time zone; Insights groups by UTC month.";

/** How many upgrade candidates Insights lists (the most refused first). */
export const CANDIDATES_SHOWN = 10;

/** A share as a whole percentage ("62%"); "—" when there is none to give. */
export const pct = (rate: number | null) => (rate === null ? "—" : `${Math.round(rate * 100)}%`);
