import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  check,
  date,
  index,
  integer,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  jsonb,
} from "drizzle-orm/pg-core";
import { createdAt, usagekit } from "./schema-name";
import type { Amount } from "./schema-name";

/**
 * The tables of live sessions, credits and alerts: reservations (holds), grants (top-ups) and
 * alerts, for a catalog whose per-feature amounts `ledgerAmounts` makes (see tables.ts).
 */
export function sessionTables<F extends string>(ledgerAmounts: () => Record<F, Amount>) {
  return {
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
        // Found by its id alone (settle, release); unique with the user, in the primary key.
        index("reservations_id_idx").on(t.id),
        uniqueIndex("reservations_user_id_idempotency_key_unique").on(t.userId, t.idempotencyKey),
      ],
    ),

    /**
     * Grants (top-ups, credits): `amount` of one feature on top of the tier's allowance, used
     * after it (and after any rollover), oldest-expiring first, across months, until used up or
     * `expiresAt`. `remaining` is what is left; the ledger's `granted` says which events took it.
     */
    grants: usagekit.table(
      "grants",
      {
        userId: text().notNull(),
        id: uuid().notNull().defaultRandom(),
        idempotencyKey: text().notNull(),
        feature: text().notNull(),
        amount: bigint({ mode: "number" }).notNull(),
        remaining: bigint({ mode: "number" }).notNull(),
        expiresAt: timestamp({ withTimezone: true }),
        reason: text().notNull(),
        createdAt: createdAt(),
      },
      (t) => [
        primaryKey({ columns: [t.userId, t.id] }),
        uniqueIndex("grants_user_id_idempotency_key_unique").on(t.userId, t.idempotencyKey),
        // Every write asks whether its user has a grant left: an index of only those.
        index("grants_live_idx")
          .on(t.userId)
          .where(sql`${t.remaining} > 0`),
        check("grants_remaining_check", sql`${t.remaining} >= 0 AND ${t.remaining} <= ${t.amount}`),
      ],
    ),
  };
}
