import { createHash } from "node:crypto";
import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { forecastsSql } from "../analytics/runs-out";
import { instant, localDay } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { unlessBusy } from "../store/error-codes";
import { utcYearMonth } from "../calendar/window";

interface State {
  full: boolean;
  doneId: number;
  dirty: boolean;
  /** A grant expired between the last refresh and now. */
  expired: boolean;
  /** The zones whose local day is not the one their learners' forecasts were made on. */
  turned: string[];
}

/**
 * Brings the kept forecasts (`usagekit.forecasts`: the learners whose pace reaches a limit, as
 * `forecastsSql` makes them at `now`) up to date with the ledger's events folded up to `doneId`
 * (the rollups'). Made again, in one statement: the learners those events touched, those marked
 * stale (`forecast_dirty`), those with a grant that expired between the last refresh and `now`,
 * and every learner of a time zone whose local day is not the one of their forecasts — or all of
 * them for another catalog or UTC month. Each row carries the tier the report ranks its learner
 * at (their month's plan in `rollup_months`, folded up to the same `doneId`). One refresher at a
 * time (the state row), waiting at most `waitMs` for another: false past it.
 */
export async function refreshForecasts(
  db: Db,
  params: { tiers: Tiers; now: Date; doneId: number; waitMs?: number },
): Promise<boolean> {
  const at = instant(params.now);
  const catalog = createHash("sha256").update(JSON.stringify(params.tiers)).digest("hex");
  // The UTC month as the date of its first day (what `rollup_months` keys by).
  const month = `${utcYearMonth(params.now)}-01`;
  /** The grants that expired between the instant `since` (the last refresh) and now. */
  const expiredSince = (since: SQL) => sql`usagekit.grants
    WHERE expires_at > least(${since}, ${at}) AND expires_at <= greatest(${since}, ${at})`;
  const done = await unlessBusy(
    db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${params.waitMs ?? 2_000}ms'`));
      const [state] = await queryRows<State>(
        tx,
        sql`SELECT catalog IS DISTINCT FROM ${catalog} OR month IS DISTINCT FROM ${month}::date
            OR at IS NULL AS "full", done_id::float8 AS "doneId",
          EXISTS (SELECT 1 FROM usagekit.forecast_dirty) AS "dirty",
          EXISTS (SELECT 1 FROM ${expiredSince(sql`at`)}) AS "expired",
          (SELECT coalesce(jsonb_agg(z.key), '[]'::jsonb) FROM jsonb_each_text(zones) z
            WHERE z.value::date <> ${localDay(at, sql`z.key`)}) AS "turned"
        FROM usagekit.forecast_state FOR UPDATE`,
      );
      await tx.execute(sql`SET LOCAL lock_timeout = 0`);
      await tx.execute(sql`SET LOCAL statement_timeout = 0`);
      const s = state!;
      const turned = sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(s.turned)}::jsonb))`;
      if (!s.full && !s.dirty && !s.expired && !s.turned.length && s.doneId >= params.doneId)
        return true;
      // Whose forecast may have changed (besides every learner for a full refresh), with the
      // marks' `v` as seen: a table of this transaction's, counted, so that a handful of
      // learners and a zone's every learner are each planned as what they are.
      await tx.execute(sql`DROP TABLE IF EXISTS pg_temp.forecast_who`);
      await tx.execute(sql`CREATE TEMP TABLE forecast_who ON COMMIT DROP AS
        SELECT user_id, max(v) AS v FROM (
          SELECT user_id, v FROM usagekit.forecast_dirty
          ${
            s.full
              ? sql``
              : sql`UNION ALL SELECT user_id, NULL FROM usagekit.usage_events
                WHERE id > ${s.doneId} AND id <= ${params.doneId}
              UNION ALL SELECT user_id, NULL FROM ${expiredSince(sql`coalesce((SELECT at FROM usagekit.forecast_state), ${at})`)}
              ${s.turned.length ? sql`UNION ALL SELECT id, NULL FROM usagekit.users WHERE timezone = ANY(${turned})` : sql``}`
          }) w GROUP BY user_id`);
      await tx.execute(sql`ANALYZE forecast_who`);
      const users = s.full
        ? sql`usagekit.users`
        : sql`(SELECT * FROM usagekit.users WHERE id IN (SELECT user_id FROM forecast_who))`;
      await tx.execute(sql`
        -- Only the marks seen: one made again since (a new v) is this refresh's change unseen.
        WITH taken AS (DELETE FROM usagekit.forecast_dirty d USING forecast_who w
          WHERE d.user_id = w.user_id AND d.v = w.v),
        made AS MATERIALIZED (
          SELECT f.user_id, f.feature, f.tier,
            coalesce((SELECT r.tier FROM usagekit.rollup_months r WHERE r.user_id = f.user_id
              AND r.month = ${month}::date), f.tier) AS plan_tier,
            f.used, f."limit", f.projected, f.reaches
          FROM (${forecastsSql(params.tiers, params.now, users)}) f WHERE f.reaches IS NOT NULL
        ), gone AS (
          DELETE FROM usagekit.forecasts k
          WHERE ${s.full ? sql`true` : sql`k.user_id IN (SELECT user_id FROM forecast_who)`}
            AND NOT EXISTS (SELECT 1 FROM made m WHERE m.user_id = k.user_id AND m.feature = k.feature)
        ), kept AS (
          INSERT INTO usagekit.forecasts AS k (user_id, feature, tier, plan_tier, used, "limit", projected, reaches)
          SELECT * FROM made
          ON CONFLICT (user_id, feature) DO UPDATE SET tier = excluded.tier, plan_tier = excluded.plan_tier,
            used = excluded.used, "limit" = excluded."limit", projected = excluded.projected,
            reaches = excluded.reaches
        )
        -- The zones' local days the forecasts are made for now: every zone's after a full
        -- refresh; else the turned zones' are dropped and those of the learners made again set.
        UPDATE usagekit.forecast_state SET done_id = greatest(done_id, ${params.doneId}), catalog = ${catalog},
          month = ${month}::date, at = ${at},
          zones = ${s.full ? sql`'{}'::jsonb` : sql`(zones - ${turned})`} || (
            SELECT coalesce(jsonb_object_agg(timezone, ${localDay(at, sql`timezone`)}), '{}'::jsonb)
            FROM (SELECT DISTINCT timezone FROM ${users} u) z)`);
      return true;
    }),
  );
  return done ?? false;
}
