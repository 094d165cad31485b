import { sql } from "drizzle-orm";

/**
 * Users whose grants have given (amount − remaining, per feature) other than what their ledger
 * events took from grants (`usage_events.granted`): nothing may be lost or taken twice. Reported
 * as drift of table `grants` with `{ user_id, feature, used }` expected and actual; never
 * rewritten (which grant a unit came from is not in the ledger).
 */
export const grantsDrift = () => sql`
  SELECT 'grants' AS "table", to_jsonb(x) AS "expected", to_jsonb(a) AS "actual"
  FROM (SELECT e.user_id, k.key AS feature, sum(k.value::bigint) AS used
    FROM usagekit.usage_events e, jsonb_each_text(e.granted) k
    WHERE e.granted IS NOT NULL GROUP BY e.user_id, k.key) x
  FULL JOIN (SELECT user_id, feature, sum(amount - remaining) AS used FROM usagekit.grants
    GROUP BY user_id, feature HAVING sum(amount - remaining) > 0) a
    ON a.user_id = x.user_id AND a.feature = x.feature
  WHERE x.used IS DISTINCT FROM a.used`;
