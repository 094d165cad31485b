import { integer, pgSchema, timestamp } from "drizzle-orm/pg-core";

/**
 * Every usagekit table lives in the PostgreSQL schema `usagekit`, never `public`, so it coexists
 * with a host's own tables (its own `users` included) in the host's database.
 */
export const usagekit = pgSchema("usagekit");

/** A row's creation (or update) time. */
export const createdAt = () => timestamp({ withTimezone: true }).notNull().defaultNow();

/** An event's amount of one feature (ledger, reservations). */
export const amount = () => integer().notNull().default(0);
export type Amount = ReturnType<typeof amount>;
