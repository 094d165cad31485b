import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { catalogNames } from "./define-catalog";
import { retentionTables } from "./retention-tables";
import { forecastTables } from "./forecast-tables";
import { rollupTables } from "./rollup-tables";
import { sessionTables } from "./session-tables";
import { keyTables } from "./key-tables";
import { amount, createdAt, usagekit } from "./schema-name";
import type { CatalogShape, CatalogTypes } from "./define-catalog";

/** A live hold of a user (`users.holds`): its reservation, until when, and what it holds. */
export interface Hold {
  id: string;
  expiresAt: string;
  amounts: Record<string, number>;
}

export { usagekit } from "./schema-name";

/**
 * usagekit's tables for a catalog: one column per feature in the ledger, the monthly row and the
 * lifetime row, an overage column per billable feature, and the catalog's tiers as the only
 * values a tier column takes. Every table's primary key starts with `user_id`, so the schema can
 * be distributed by user (Citus) and every per-user read is an index range scan. The default
 * schema (`./schema`) is these for the default catalog; the `usagekit` command generates a host
 * catalog's migrations from them.
 */
export function usagekitTables<C extends CatalogShape>(catalog: C) {
  const { features, tierNames, billableFeatures, monthlyField, lifetimeField, overageField, role } =
    catalogNames(catalog);
  type T = CatalogTypes<C>;
  type Feature = T["Feature"];
  type TierName = T["TierName"];
  type MonthlyField = T["MonthlyField"];
  type LifetimeField = T["LifetimeField"];
  type OverageField = T["OverageField"];

  const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const tierCheck = (column: string) =>
    sql.raw(`${column} in (${tierNames.map((t) => `'${t}'`).join(", ")})`);

  const counter = () => bigint({ mode: "number" }).notNull().default(0);
  /** One column per catalog feature, named by `name`. */
  function perFeature<N extends string, C>(names: readonly N[], column: () => C): Record<N, C> {
    return Object.fromEntries(names.map((n) => [n, column()])) as Record<N, C>;
  }
  const ledgerAmounts = () => perFeature<Feature, ReturnType<typeof amount>>(features, amount);
  const monthlyCounters = () =>
    perFeature<MonthlyField, ReturnType<typeof counter>>(
      features.map((f) => monthlyField[f]),
      counter,
    );
  const overageCounters = () =>
    perFeature<OverageField, ReturnType<typeof counter>>(
      billableFeatures.map((f) => overageField[f]),
      counter,
    );
  const lifetimeTotals = () =>
    perFeature<LifetimeField, ReturnType<typeof counter>>(
      features.map((f) => lifetimeField[f]),
      counter,
    );
  /** The columns that name an event of a user: the ledger's and the refusal log's first four. */
  const eventKey = () => ({
    userId: text().notNull(),
    id: bigserial({ mode: "number" }).notNull(),
    idempotencyKey: text(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
  });

  return {
    users: usagekit.table(
      "users",
      {
        id: text().primaryKey(),
        tier: text().$type<TierName>().notNull().default(tierNames[0]),
        timezone: text().notNull().default("UTC"),
        /**
         * The user's live holds (reservations not settled or released), `[{ id, expiresAt,
         * amounts }]`: on the row every enforced write locks, so a hold and a write are judged
         * against each other's latest version. An expired one stops counting at `expiresAt`.
         */
        holds: jsonb().$type<Hold[]>().notNull().default([]),
        createdAt: createdAt(),
        updatedAt: createdAt(),
      },
      () => [check("users_tier_check", tierCheck("tier"))],
    ),

    ...sessionTables(ledgerAmounts),

    ...retentionTables(features),

    ...rollupTables(features, role.practiceTime),

    ...forecastTables(),

    /** One row per user per local calendar month; `month` is the first day of that month. */
    monthlyUsage: usagekit.table(
      "monthly_usage",
      {
        userId: text().notNull(),
        month: date().notNull(),
        periodStart: timestamp({ withTimezone: true }).notNull(),
        periodEnd: timestamp({ withTimezone: true }).notNull(),
        ...monthlyCounters(),
        completedSessionSeconds: counter(),
        longestSession: counter(),
        ...overageCounters(),
        /** Per feature, what this month's usage took from grants (`{}` when nothing). */
        granted: jsonb().$type<Record<string, number>>().notNull().default({}),
        tierWhenUsed: text().$type<TierName>().notNull(),
        lastEventAt: timestamp({ withTimezone: true }).notNull(),
        lastConversationAt: timestamp({ withTimezone: true }),
        lastRealtimeAt: timestamp({ withTimezone: true }),
        createdAt: createdAt(),
        updatedAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.month] }),
        // The cross-user reports of a month read only its rows with overage (bills, candidates)
        // or with usage taken from grants (monetization): partial indexes of those few rows.
        ...billableFeatures.map((f) =>
          index(`monthly_usage_${snakeCase(overageField[f])}_idx`)
            .on(t.month)
            .where(sql`${t[overageField[f]]} > 0`),
        ),
        // Its predicate names a constant month bound, which a report's constant month implies
        // and the write path's computed month does not: the write path (which asks whether a
        // user's month took from grants) keeps to the key, as every write must.
        index("monthly_usage_granted_idx")
          .on(t.month)
          .where(sql`${t.granted} <> '{}'::jsonb AND ${t.month} >= '2000-01-01'::date`),
      ],
    ),

    /** One row per user: running totals. Streaks are derived from `daily_activity` when read. */
    lifetimeStats: usagekit.table("lifetime_stats", {
      userId: text().primaryKey(),
      ...lifetimeTotals(),
      daysActive: integer().notNull().default(0),
      firstActiveAt: timestamp({ withTimezone: true }),
      firstConversationAt: timestamp({ withTimezone: true }),
      lastActiveAt: timestamp({ withTimezone: true }),
      monthsSubscribed: integer().notNull().default(0),
      // Up to 10^18: a payment is at most 99,999,999.99, so no user's total can overflow.
      totalRevenue: numeric({ precision: 20, scale: 2 }).notNull().default("0.00"),
      highestTierReached: text().$type<TierName>().notNull().default(tierNames[0]),
      createdAt: createdAt(),
      updatedAt: createdAt(),
    }),

    /**
     * The append-only ledger: every accepted usage event. The source of truth. Partitioned by
     * local month: one partition per month, created ahead (and a default one for any other).
     */
    usageEvents: usagekit.table(
      "usage_events",
      {
        ...eventKey(),
        recordedAt: createdAt(),
        month: date().notNull(),
        day: date().notNull(),
        tier: text().$type<TierName>().notNull(),
        ...ledgerAmounts(),
        /** A correction (negative amounts): the key of the event it corrects, and why. */
        correctsKey: text(),
        reason: text(),
        /** Per feature, what the event took from the user's grants (null: nothing). */
        granted: jsonb().$type<Record<string, number>>(),
        /**
         * Per billable feature, the units of the event past the tier's soft limit that rollover
         * or grants covered, so not billed (null: none). Overage replays (bills, reconcile)
         * subtract it from the soft-limit formula.
         */
        covered: jsonb().$type<Record<string, number>>(),
      },
      // Partitioned by `month` (migration 0004: `usagekit.ensure_ledger_partitions`), so every
      // key of the ledger holds the month; a key's uniqueness for the user across all months is
      // `usage_event_keys`'s.
      (t) => [
        primaryKey({ columns: [t.userId, t.month, t.id] }),
        uniqueIndex("usage_events_user_id_idempotency_key_month_unique").on(
          t.userId,
          t.idempotencyKey,
          t.month,
        ),
        // Cross-user reports (analytics) read one UTC month of the ledger at a time.
        index("usage_events_occurred_at_idx").on(t.occurredAt),
        // The analytics' rollups fold the events past their last id (a BRIN index: ids grow
        // with the table's pages, and it costs a write almost nothing; a filled range of pages
        // is summarized by autovacuum).
        index("usage_events_id_brin_idx").using("brin", t.id).with({ autosummarize: true }),
      ],
    ),

    ...keyTables(),

    /** One row per user per local day with any usage: days active and streaks. */
    dailyActivity: usagekit.table(
      "daily_activity",
      {
        userId: text().notNull(),
        day: date().notNull(),
        events: integer().notNull().default(0),
      },
      (t) => [primaryKey({ columns: [t.userId, t.day] })],
    ),

    payments: usagekit.table(
      "payments",
      {
        userId: text().notNull(),
        idempotencyKey: text().notNull(),
        tier: text().$type<TierName>().notNull(),
        amount: numeric({ precision: 12, scale: 2 }).notNull(),
        paidAt: timestamp({ withTimezone: true }).notNull(),
        month: date().notNull(),
        /** `subscription` (a month of the tier) or `topUp` (bought grants). */
        kind: text().$type<"subscription" | "topUp">().notNull().default("subscription"),
        createdAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.idempotencyKey] }),
        check("payments_kind_check", sql`${t.kind} in ('subscription', 'topUp')`),
        check("payments_amount_positive", sql`${t.amount} > 0`),
        check("payments_tier_check", tierCheck("tier")),
      ],
    ),

    /**
     * Events refused at a hard limit (enforceLimits): who hit which wall, for upgrade offers. One row
     * per refused idempotency key (a retried refusal is not counted again). `month`: the local
     * month it was refused in, in the user's time zone then (a later zone change does not move it).
     */
    limitRefusals: usagekit.table(
      "limit_refusals",
      {
        ...eventKey(),
        month: date().notNull(),
        tier: text().$type<TierName>().notNull(),
        feature: text().notNull(),
        used: bigint({ mode: "number" }).notNull(),
        limit: bigint({ mode: "number" }).notNull(),
        requested: integer().notNull(),
        createdAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.id] }),
        uniqueIndex("limit_refusals_user_id_idempotency_key_unique").on(t.userId, t.idempotencyKey),
        index("limit_refusals_occurred_at_idx").on(t.occurredAt),
      ],
    ),
  };
}
