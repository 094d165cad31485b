import { catalog } from "@usagekit/db/catalog";
import type { Feature } from "@usagekit/db/catalog";

/** How the demo names and shows each metered feature: from the catalog. */
export const featureInfo: Record<Feature, { label: string; unit: "count" | "seconds" }> =
  catalog.features;

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
