import { integer, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";

// The host's own tables, in `public` — its own `users` included, beside usagekit's `usagekit.users`.
export const users = pgTable("users", {
  id: text().primaryKey(), // Clerk-style ids: "user_ana"
  name: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const lessons = pgTable("lessons", {
  id: serial().primaryKey(),
  userId: text()
    .notNull()
    .references(() => users.id),
  topic: text().notNull(),
  /** `started`, or `refused` when usagekit refused it at the plan's limit. */
  status: text().notNull(),
  minutes: integer().notNull().default(0),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

// usagekit's tables (`@usagekit/db/schema`) are for the host's queries, not for this file: they
// are not the host's to migrate (drizzle-kit reads this file for the host's migrations).
