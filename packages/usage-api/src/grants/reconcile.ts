import { sql } from "drizzle-orm";

/**
 * Users whose grants have given (amount − remaining, per feature) other than what their ledger
 * events took from grants (`usage_events.granted`, and `ledger_retained.granted` for the months
 * retention dropped): nothing may be lost or taken twice. Reported
 * as drift of table `grants` with `{ user_id, feature, used }` expected and actual; never
 * rewritten (which grant a unit came from is not in the ledger).
 */
export const grantsDrift = () => sql`
  SELECT 'grants' AS "table", to_jsonb(x) AS "expected", to_jsonb(a) AS "actual"
  FROM (SELECT user_id, feature, sum(used) AS used FROM (
      SELECT e.user_id, k.key AS feature, k.value::bigint AS used
      FROM usagekit.usage_events e, jsonb_each_text(e.granted) k WHERE e.granted IS NOT NULL
      -- What the months dropped by retention took from grants.
      UNION ALL SELECT r.user_id, k.key, k.value::bigint
      FROM usagekit.ledger_retained r, jsonb_each_text(r.granted) k) g
    GROUP BY user_id, feature) x
  FULL JOIN (SELECT user_id, feature, sum(amount - remaining) AS used FROM usagekit.grants
    GROUP BY user_id, feature HAVING sum(amount - remaining) > 0) a
    ON a.user_id = x.user_id AND a.feature = x.feature
  WHERE x.used IS DISTINCT FROM a.used`;
