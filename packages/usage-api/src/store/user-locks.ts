import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";

/**
 * Takes the transaction locks of `userIds` (in id order, so that two takers never deadlock),
 * held until the transaction ends: a reservation and an enforced batch of the same user run one
 * after the other, and each reads what the other committed. Transaction-scoped, so they work
 * through a transaction pooler.
 */
export const lockUsers = (tx: Db, userIds: string[]) =>
  tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(id, 0))
    FROM (SELECT DISTINCT id FROM jsonb_array_elements_text(${JSON.stringify(userIds)}::jsonb) AS t(id)
      ORDER BY id) ids`);
