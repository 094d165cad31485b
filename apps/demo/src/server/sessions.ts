import "server-only";
import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { learners } from "~/lib/demo-users";
import { getDb } from "./db";

/** A learner's practice session as the ledger holds it, and what a refund has taken back of it. */
export interface Session {
  userId: string;
  key: string;
  occurredAt: string;
  seconds: number;
  refunded: boolean;
}

/**
 * The demo's own read of usagekit's ledger (a host may read its own database): the latest
 * completed sessions of the demo's learners, each with whether it was refunded already.
 */
export async function recentSessions(limit = 6): Promise<Session[]> {
  const { db } = await getDb();
  return queryRows<Session>(
    db,
    sql`SELECT e.user_id AS "userId", e.idempotency_key AS "key",
      to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "occurredAt",
      e.seconds::int AS "seconds",
      EXISTS (SELECT 1 FROM usagekit.usage_events c WHERE c.user_id = e.user_id
        AND c.corrects_key = e.idempotency_key) AS "refunded"
    FROM usagekit.usage_events e
    WHERE e.user_id IN (${sql.join(
      learners.map((l) => sql`${l.id}`),
      sql`, `,
    )}) AND e.completed_sessions > 0 AND e.corrects_key IS NULL AND e.idempotency_key IS NOT NULL
    ORDER BY e.occurred_at DESC, e.id DESC LIMIT ${limit}`,
  );
}

/** What is left of a session to refund: its amounts less what corrections took back already. */
export async function sessionLeft(userId: string, key: string) {
  const { db } = await getDb();
  const [row] = await queryRows<Record<string, number>>(
    db,
    sql`SELECT sum(conversations)::int AS conversations, sum(seconds)::int AS seconds,
      sum(realtime_sessions)::int AS "realtimeSessions",
      sum(completed_sessions)::int AS "completedSessions"
    FROM usagekit.usage_events
    WHERE user_id = ${userId} AND (idempotency_key = ${key} OR corrects_key = ${key})`,
  );
  return row;
}
