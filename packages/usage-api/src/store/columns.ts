import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type {
  BillableFeature,
  Feature,
  MonthlyField,
  OverageField,
  Role,
  TierName,
} from "@usagekit/db/catalog";
import { instantOut } from "../calendar/local-month";
import { perModel } from "../catalog/model";
import type { Model } from "../catalog/model";
import { modelOfTiers } from "../limits/tiers";
import type { Tiers } from "../limits/tiers";

/** A field's SQL name (`ankiExportsUsed` → `anki_exports_used`). */
export const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A catalog's names and SQL pieces: where each feature is counted (the ledger, the monthly row,
 * the lifetime row, the overage column), the columns of its roles, and the select list of a
 * monthly row. Built once per catalog; every statement takes its columns from here.
 */
function build(model: Model) {
  const { features, billableFeatures, role, monthlyField, lifetimeField, overageField } = model;
  /** `tier` ordered along the catalog's tiers (lowest first), for GREATEST-style comparisons. */
  const tierRankSql = (tier: string) =>
    sql.raw(`array_position(ARRAY['${model.tierNames.join("','")}'], ${tier})`);
  /** Where each feature is counted: the ledger, the monthly row and the lifetime row (SQL names). */
  const featureColumns = Object.fromEntries(
    features.map((f) => [
      f,
      { ledger: snake(f), monthly: snake(monthlyField[f]), lifetime: snake(lifetimeField[f]) },
    ]),
  ) as Record<Feature, { ledger: string; monthly: string; lifetime: string }>;
  /** The monthly overage column of each billable feature (SQL name). */
  const overageColumn = Object.fromEntries(
    billableFeatures.map((f) => [f, snake(overageField[f])]),
  ) as Record<BillableFeature, string>;
  const ledgerCol = (f: Feature) => sql.raw(featureColumns[f].ledger);
  const monthlyCol = (f: Feature) => sql.raw(featureColumns[f].monthly);
  /**
   * The ledger column of the feature that plays `r` (`catalog.roles`), of the row aliased `alias`
   * (none: the bare column). The derived fields name roles, never features.
   */
  const roleCol = (r: Role, alias = "") =>
    sql.raw(`${alias ? `${alias}.` : ""}${featureColumns[role[r]].ledger}`);
  /** The monthly row's column of the feature that plays `r`. */
  const roleMonthly = (r: Role, alias = "") =>
    sql.raw(`${alias ? `${alias}.` : ""}${featureColumns[role[r]].monthly}`);
  /** The monthly row's counters (SQL names). */
  const counters = [
    ...Object.values(featureColumns).map((c) => c.monthly),
    "longest_session",
    ...Object.values(overageColumn),
  ];
  type Field = [name: string, expr: (alias: string) => SQL];
  /**
   * The fields of `MonthlyUsage`, each with its SQL over a `monthly_usage` row aliased `alias`:
   * the one list `monthlySelect` selects, `monthlyOf` copies and `emptyMonthly` fills.
   */
  const monthlyFields: Field[] = [
    ["month", (a) => sql.raw(`to_char(${a}.month, 'YYYY-MM')`)],
    ["periodStart", (a) => instantOut(sql.raw(`${a}.period_start`))],
    ["periodEnd", (a) => instantOut(sql.raw(`${a}.period_end`))],
    ...counters.map((c): Field => [camel(c), (a) => sql.raw(`${a}.${c}::float8`)]),
    [
      "averageSessionLength",
      (a) => sql`CASE WHEN ${roleMonthly("completedSession", a)} > 0
        THEN round(${sql.raw(a)}.completed_session_seconds::numeric / ${roleMonthly("completedSession", a)})::float8
        ELSE 0 END`,
    ],
    ["tierWhenUsed", (a) => sql.raw(`${a}.tier_when_used`)],
    ["lastConversationAt", (a) => instantOut(sql.raw(`${a}.last_conversation_at`))],
    ["lastRealtimeAt", (a) => instantOut(sql.raw(`${a}.last_realtime_at`))],
  ];
  return {
    ...model,
    featureColumns,
    overageColumn,
    ledgerCol,
    monthlyCol,
    lifetimeCol: (f: Feature) => sql.raw(featureColumns[f].lifetime),
    overageCol: (f: BillableFeature) => sql.raw(overageColumn[f]),
    roleCol,
    roleMonthly,
    tierRankSql,
    /** Raises `highest_tier_reached` of lifetime row `l` to the `excluded` one if that ranks higher. */
    raiseHighestTier: sql`highest_tier_reached = CASE
      WHEN ${tierRankSql("excluded.highest_tier_reached")} > ${tierRankSql("l.highest_tier_reached")}
      THEN excluded.highest_tier_reached ELSE l.highest_tier_reached END, updated_at = now()`,
    /** A new user's tier as a SQL literal (tier names are checked camelCase names). */
    defaultTierSql: sql.raw(`'${model.defaultTier}'`),
    /**
     * The completed-session seconds of event row `alias`: its practice time when it completes any
     * (a correction that takes a completed session back takes its seconds back too).
     */
    sessionSecondsSql: (alias = "") =>
      sql`CASE WHEN ${roleCol("completedSession", alias)} <> 0 THEN ${roleCol("practiceTime", alias)} ELSE 0 END`,
    /** The length of each completed session of event row `alias`, rounded (0 when it completes none). */
    sessionLengthSql: (alias = "") =>
      sql`CASE WHEN ${roleCol("completedSession", alias)} > 0
    THEN round(${roleCol("practiceTime", alias)}::numeric / ${roleCol("completedSession", alias)}) ELSE 0 END`,
    /** `f(feature)` for every feature, joined by `separator`. */
    eachFeature: (f: (feature: Feature) => SQL, separator = ", ") =>
      sql.join(features.map(f), sql.raw(separator)),
    /** `, f(feature)` for every billable feature: nothing when there is none. */
    commaEachBillable: (f: (feature: BillableFeature) => SQL) =>
      sql.join(billableFeatures.map((b) => sql`, ${f(b)}`)),
    /** The select list of a `monthly_usage` row aliased `alias`, in the shape of `MonthlyUsage`. */
    monthlySelect: (alias: string) =>
      sql.join(
        monthlyFields.map(([name, expr]) => sql`${expr(alias)} AS ${sql.raw(`"${name}"`)}`),
        sql`, `,
      ),
    /**
     * The `MonthlyUsage` of a row that selected `monthlySelect` beside other columns: its fields
     * copied by name (a rest pattern over a driver's row, a dictionary, costs several times more:
     * ~3 ms for a batch's 440 rows).
     */
    monthlyOf: (row: object): MonthlyUsage => {
      const usage: Record<string, unknown> = {};
      for (const [name] of monthlyFields) usage[name] = (row as Record<string, unknown>)[name];
      return usage as MonthlyUsage;
    },
    /** A month with no usage yet. */
    emptyMonthly: (month: string, periodStart: Date, periodEnd: Date, tier: TierName) =>
      ({
        ...Object.fromEntries(monthlyFields.map(([name]) => [name, 0])),
        month,
        periodStart,
        periodEnd,
        tierWhenUsed: tier,
        lastConversationAt: null,
        lastRealtimeAt: null,
      }) as MonthlyUsage,
  };
}

export type Columns = ReturnType<typeof build>;

/** The names and SQL pieces of a catalog's model. */
export const columnsOfModel = perModel(build);

/** The names and SQL pieces of the catalog a (validated) tier table belongs to. */
export const columnsOf = (tiers: Tiers): Columns => columnsOfModel(modelOfTiers(tiers));

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
