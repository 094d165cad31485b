import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import {
  billableFeatures,
  features,
  lifetimeField,
  monthlyField,
  overageField,
  role,
} from "@usagekit/db/catalog";
import type {
  BillableFeature,
  Feature,
  MonthlyField,
  OverageField,
  Role,
  TierName,
} from "@usagekit/db/catalog";
import { instantOut } from "../calendar/local-month";

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Where each feature is counted: the ledger, the monthly row and the lifetime row (SQL names). */
export const featureColumns = Object.fromEntries(
  features.map((f) => [
    f,
    { ledger: snake(f), monthly: snake(monthlyField[f]), lifetime: snake(lifetimeField[f]) },
  ]),
) as Record<Feature, { ledger: string; monthly: string; lifetime: string }>;

/** The monthly overage column of each billable feature (SQL name). */
export const overageColumn = Object.fromEntries(
  billableFeatures.map((f) => [f, snake(overageField[f])]),
) as Record<BillableFeature, string>;

/** The column of a feature in the ledger, the monthly row, the lifetime row; the overage column. */
export const ledgerCol = (f: Feature) => sql.raw(featureColumns[f].ledger);
export const monthlyCol = (f: Feature) => sql.raw(featureColumns[f].monthly);
export const lifetimeCol = (f: Feature) => sql.raw(featureColumns[f].lifetime);
export const overageCol = (f: BillableFeature) => sql.raw(overageColumn[f]);

/**
 * The ledger column of the feature that plays `r` (`catalog.roles`), of the row aliased `alias`
 * (none: the bare column). The derived fields name roles, never features.
 */
export const roleCol = (r: Role, alias = "") =>
  sql.raw(`${alias ? `${alias}.` : ""}${featureColumns[role[r]].ledger}`);
/** The monthly row's column of the feature that plays `r`. */
export const roleMonthly = (r: Role, alias = "") =>
  sql.raw(`${alias ? `${alias}.` : ""}${featureColumns[role[r]].monthly}`);

/** The completed-session seconds of event row `alias`: its practice time when it completes any. */
export const sessionSecondsSql = (alias = "") =>
  sql`CASE WHEN ${roleCol("completedSession", alias)} > 0 THEN ${roleCol("practiceTime", alias)} ELSE 0 END`;
/** The length of each completed session of event row `alias`, rounded (0 when it completes none). */
export const sessionLengthSql = (alias = "") =>
  sql`CASE WHEN ${roleCol("completedSession", alias)} > 0
    THEN round(${roleCol("practiceTime", alias)}::numeric / ${roleCol("completedSession", alias)}) ELSE 0 END`;

/** `f(feature)` for every feature, joined by `separator`. */
export const eachFeature = (f: (feature: Feature) => SQL, separator = ", ") =>
  sql.join(features.map(f), sql.raw(separator));

/** `, f(feature)` for every billable feature: nothing when there is none. */
export const commaEachBillable = (f: (feature: BillableFeature) => SQL) =>
  sql.join(billableFeatures.map((b) => sql`, ${f(b)}`));

/** A monthly usage row as the API returns it: a counter per feature (and per billable feature's overage). */
export type MonthlyUsage = Record<MonthlyField | OverageField, number> & {
  month: string;
  periodStart: Date;
  periodEnd: Date;
  averageSessionLength: number;
  longestSession: number;
  tierWhenUsed: TierName;
  lastConversationAt: Date | null;
  lastRealtimeAt: Date | null;
};

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** The select list of a `monthly_usage` row aliased `alias`, in the shape of `MonthlyUsage`. */
export const monthlySelect = (alias: string) => {
  const a = sql.raw(alias);
  const counters = [
    ...Object.values(featureColumns).map((c) => c.monthly),
    "longest_session",
    ...Object.values(overageColumn),
  ];
  return sql.join(
    [
      sql`to_char(${a}.month, 'YYYY-MM') AS "month", ${instantOut(sql`${a}.period_start`)} AS "periodStart",
        ${instantOut(sql`${a}.period_end`)} AS "periodEnd"`,
      ...counters.map((c) => sql.raw(`${alias}.${c}::float8 AS "${camel(c)}"`)),
      sql`CASE WHEN ${roleMonthly("completedSession", alias)} > 0
        THEN round(${a}.completed_session_seconds::numeric / ${roleMonthly("completedSession", alias)})::float8
        ELSE 0 END AS "averageSessionLength"`,
      sql`${a}.tier_when_used AS "tierWhenUsed",
        ${instantOut(sql`${a}.last_conversation_at`)} AS "lastConversationAt",
        ${instantOut(sql`${a}.last_realtime_at`)} AS "lastRealtimeAt"`,
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
): MonthlyUsage =>
  ({
    ...Object.fromEntries(
      [
        ...features.map((f) => monthlyField[f]),
        ...billableFeatures.map((f) => overageField[f]),
      ].map((field) => [field, 0]),
    ),
    month,
    periodStart,
    periodEnd,
    averageSessionLength: 0,
    longestSession: 0,
    tierWhenUsed: tier,
    lastConversationAt: null,
    lastRealtimeAt: null,
  }) as MonthlyUsage;
