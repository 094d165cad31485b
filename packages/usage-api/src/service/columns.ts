import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { features } from "../tiers";
import type { Feature, TierName } from "../tiers";

/** Where each feature is counted: the ledger, the monthly row and the lifetime row. */
export const featureColumns: Record<
  Feature,
  { ledger: string; monthly: string; lifetime: string }
> = {
  conversations: {
    ledger: "conversations",
    monthly: "conversations",
    lifetime: "total_conversations",
  },
  seconds: { ledger: "seconds", monthly: "seconds", lifetime: "total_seconds" },
  realtimeSessions: {
    ledger: "realtime_sessions",
    monthly: "realtime_sessions",
    lifetime: "total_realtime_sessions",
  },
  ankiExports: {
    ledger: "anki_exports",
    monthly: "anki_exports_used",
    lifetime: "total_anki_exports",
  },
  customPhrases: {
    ledger: "custom_phrases",
    monthly: "custom_phrases_created",
    lifetime: "total_custom_phrases",
  },
  advancedVoiceSeconds: {
    ledger: "advanced_voice_seconds",
    monthly: "advanced_voice_seconds",
    lifetime: "total_advanced_voice_seconds",
  },
  sessionExtensions: {
    ledger: "session_extensions",
    monthly: "session_extensions_used",
    lifetime: "total_session_extensions",
  },
  completedSessions: {
    ledger: "completed_sessions",
    monthly: "completed_sessions",
    lifetime: "total_completed_sessions",
  },
};

/** `f(feature)` for every feature, joined by `separator`. */
export const eachFeature = (f: (feature: Feature) => SQL, separator = ", ") =>
  sql.join(features.map(f), sql.raw(separator));

/** A monthly usage row as the API returns it. */
export interface MonthlyUsage {
  month: string;
  periodStart: Date;
  periodEnd: Date;
  conversations: number;
  seconds: number;
  realtimeSessions: number;
  ankiExportsUsed: number;
  customPhrasesCreated: number;
  advancedVoiceSeconds: number;
  sessionExtensionsUsed: number;
  completedSessions: number;
  averageSessionLength: number;
  longestSession: number;
  overageSeconds: number;
  tierWhenUsed: TierName;
  lastConversationAt: Date | null;
  lastRealtimeAt: Date | null;
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The select list of a `monthly_usage` row aliased `alias`, in the shape of `MonthlyUsage`. */
export const monthlySelect = (alias: string) => {
  const a = sql.raw(alias);
  const counters = [
    ...Object.values(featureColumns).map((c) => c.monthly),
    "longest_session",
    "overage_seconds",
  ];
  return sql.join(
    [
      sql`to_char(${a}.month, 'YYYY-MM') AS "month", ${a}.period_start AS "periodStart", ${a}.period_end AS "periodEnd"`,
      ...counters.map((c) => sql.raw(`${alias}.${c}::float8 AS "${camel(c)}"`)),
      sql`CASE WHEN ${a}.completed_sessions > 0
        THEN round(${a}.completed_session_seconds::numeric / ${a}.completed_sessions)::float8
        ELSE 0 END AS "averageSessionLength"`,
      sql`${a}.tier_when_used AS "tierWhenUsed", ${a}.last_conversation_at AS "lastConversationAt",
        ${a}.last_realtime_at AS "lastRealtimeAt"`,
    ],
    sql`, `,
  );
};

/** A month with no usage yet. */
export const emptyMonthly = (
  month: string,
  periodStart: Date,
  periodEnd: Date,
  tier: TierName,
): MonthlyUsage => ({
  month,
  periodStart,
  periodEnd,
  conversations: 0,
  seconds: 0,
  realtimeSessions: 0,
  ankiExportsUsed: 0,
  customPhrasesCreated: 0,
  advancedVoiceSeconds: 0,
  sessionExtensionsUsed: 0,
  completedSessions: 0,
  averageSessionLength: 0,
  longestSession: 0,
  overageSeconds: 0,
  tierWhenUsed: tier,
  lastConversationAt: null,
  lastRealtimeAt: null,
});
