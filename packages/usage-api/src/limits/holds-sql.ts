import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/**
 * `heldOf` of `limits/holds.ts` as SQL: what the active holds in `holds` (a `users.holds` value)
 * keep of `feature` at `now` (no holds, the common case, reads nothing). The feature is a checked
 * catalog name, written into the text, so a prepared statement stays one text.
 */
export const heldSql = (holds: SQL, feature: string, now: SQL) =>
  sql`(CASE WHEN ${holds} = '[]'::jsonb THEN 0 ELSE
    (SELECT coalesce(sum((h -> 'amounts' ->> ${sql.raw(`'${feature}'`)})::bigint), 0)
    FROM jsonb_array_elements(${holds}) h WHERE (h ->> 'expiresAt')::timestamptz > ${now}) END)`;
