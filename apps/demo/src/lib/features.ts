export const monthLabel = (month: string) =>
  new Date(`${month}-15T00:00:00Z`).toLocaleDateString("en-GB", {
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });

/** `YYYY-MM` `offset` months from `month` (UTC calendar months). */
export const shiftMonth = (month: string, offset: number) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + offset, 1)).toISOString().slice(0, 7);
};
