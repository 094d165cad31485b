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
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { catalogNames } from "./define-catalog";
import type { CatalogShape, CatalogTypes } from "./define-catalog";

/** A live hold of a user (`users.holds`): its reservation, until when, and what it holds. */
export interface Hold {
  id: string;
  expiresAt: string;
  amounts: Record<string, number>;
}

/**
 * Every usagekit table lives in the PostgreSQL schema `usagekit`, never `public`, so it coexists
 * with a host's own tables (its own `users` included) in the host's database.
 */
export const usagekit = pgSchema("usagekit");

/**
 * usagekit's tables for a catalog: one column per feature in the ledger, the monthly row and the
 * lifetime row, an overage column per billable feature, and the catalog's tiers as the only
 * values a tier column takes. Every table's primary key starts with `user_id`, so the schema can
 * be distributed by user (Citus) and every per-user read is an index range scan. The default
 * schema (`./schema`) is these for the default catalog; the `usagekit` command generates a host
 * catalog's migrations from them.
 */
export function usagekitTables<C extends CatalogShape>(catalog: C) {
  const { features, tierNames, billableFeatures, monthlyField, lifetimeField, overageField } =
    catalogNames(catalog);
  type T = CatalogTypes<C>;
  type Feature = T["Feature"];
  type TierName = T["TierName"];
  type MonthlyField = T["MonthlyField"];
  type LifetimeField = T["LifetimeField"];
  type OverageField = T["OverageField"];

  const tierCheck = (column: string) =>
    sql.raw(`${column} in (${tierNames.map((t) => `'${t}'`).join(", ")})`);

  const counter = () => bigint({ mode: "number" }).notNull().default(0);
  /** One column per catalog feature, named by `name`. */
  function perFeature<N extends string, C>(names: readonly N[], column: () => C): Record<N, C> {
    return Object.fromEntries(names.map((n) => [n, column()])) as Record<N, C>;
  }
  const amount = () => integer().notNull().default(0);
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
  const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();
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

    /**
     * Alerts: a user's monthly usage of a feature first reached a threshold of its limit (once per
     * user, month, feature and threshold), with their webhook delivery.
     */
    alerts: usagekit.table(
      "alerts",
      {
        userId: text().notNull(),
        id: bigserial({ mode: "number" }).notNull(),
        month: date().notNull(),
        feature: text().notNull(),
        /** Percent of the limit. */
        threshold: integer().notNull(),
        used: bigint({ mode: "number" }).notNull(),
        limit: bigint({ mode: "number" }).notNull(),
        createdAt: createdAt(),
        deliveredAt: timestamp({ withTimezone: true }),
        attempts: integer().notNull().default(0),
        nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
        lastError: text(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.id] }),
        uniqueIndex("alerts_once").on(t.userId, t.month, t.feature, t.threshold),
        index("alerts_undelivered_idx")
          .on(t.nextAttemptAt)
          .where(sql`${t.deliveredAt} IS NULL`),
      ],
    ),

    /** Reservations: amounts held for a live session until settled, released or expired. */
    reservations: usagekit.table(
      "reservations",
      {
        userId: text().notNull(),
        id: uuid().notNull().defaultRandom(),
        idempotencyKey: text().notNull(),
        ...ledgerAmounts(),
        expiresAt: timestamp({ withTimezone: true }).notNull(),
        /** The idempotency keys of the extensions applied to it. */
        extensions: jsonb().$type<string[]>().notNull().default([]),
        settledAt: timestamp({ withTimezone: true }),
        releasedAt: timestamp({ withTimezone: true }),
        createdAt: createdAt(),
        updatedAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.id] }),
        uniqueIndex("reservations_id_unique").on(t.id),
        uniqueIndex("reservations_user_id_idempotency_key_unique").on(t.userId, t.idempotencyKey),
      ],
    ),

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
        tierWhenUsed: text().$type<TierName>().notNull(),
        lastEventAt: timestamp({ withTimezone: true }).notNull(),
        lastConversationAt: timestamp({ withTimezone: true }),
        lastRealtimeAt: timestamp({ withTimezone: true }),
        createdAt: createdAt(),
        updatedAt: createdAt(),
      },
      (t) => [primaryKey({ columns: [t.userId, t.month] })],
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

    /** The append-only ledger: every accepted usage event. The source of truth. */
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
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.id] }),
        uniqueIndex("usage_events_user_id_idempotency_key_unique").on(t.userId, t.idempotencyKey),
        // Cross-user reports (analytics) read one UTC month of the ledger at a time.
        index("usage_events_occurred_at_idx").on(t.occurredAt),
      ],
    ),

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
        createdAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.idempotencyKey] }),
        check("payments_amount_positive", sql`${t.amount} > 0`),
        check("payments_tier_check", tierCheck("tier")),
      ],
    ),

    /**
     * Events refused at a hard limit (enforceLimits): who hit which wall, for upgrade offers. One row
     * per refused idempotency key (a retried refusal is not counted again).
     */
    limitRefusals: usagekit.table(
      "limit_refusals",
      {
        ...eventKey(),
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
