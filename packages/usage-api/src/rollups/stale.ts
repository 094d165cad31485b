import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";

/**
 * The SQL that marks learners' kept forecasts stale, for the changes the ledger does not show (a
 * plan or zone set, a grant given, a repair): `userIds` a query of user ids, refreshed next;
 * undefined, every learner's (all are made again). A mark made again draws a new `v`, so a
 * refresh running meanwhile, which has not seen the change, leaves it for the next one.
 */
export const forecastsStale = (userIds?: SQL) =>
  userIds
    ? sql`INSERT INTO usagekit.forecast_dirty (user_id) SELECT * FROM (${userIds}) s
        ON CONFLICT (user_id) DO UPDATE SET v = excluded.v`
    : sql`UPDATE usagekit.forecast_state SET catalog = NULL`;
