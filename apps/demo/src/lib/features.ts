import type { Feature } from "@usagekit/usage-api";

/** How the demo names and shows each metered feature. */
export const featureInfo: Record<Feature, { label: string; unit: "count" | "minutes" }> = {
  conversations: { label: "Conversations", unit: "count" },
  seconds: { label: "Practice time", unit: "minutes" },
  realtimeSessions: { label: "Realtime sessions", unit: "count" },
  ankiExports: { label: "Anki exports", unit: "count" },
  customPhrases: { label: "Custom phrases", unit: "count" },
  advancedVoiceSeconds: { label: "Advanced voice", unit: "minutes" },
  sessionExtensions: { label: "Session extensions", unit: "count" },
  completedSessions: { label: "Completed sessions", unit: "count" },
};

export const formatAmount = (feature: Feature, amount: number) =>
  featureInfo[feature].unit === "minutes" ? `${Math.floor(amount / 60)} min` : String(amount);

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
