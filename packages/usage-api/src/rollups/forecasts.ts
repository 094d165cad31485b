import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import {
  catalogDigest,
  keptColumns,
  keptRowsSql,
  learnersIn,
  planTierSql,
  untimed,
  utcMonthDate,
  zoneArray,
} from "./kept-rows";
import { takeNextDay } from "./next-day";
import { instant, localDay } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { unlessBusy } from "../store/error-codes";

interface State {
  full: boolean;
  /** Another UTC month than the forecasts' (the report's plan for each learner is that month's). */
  newMonth: boolean;
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
 * and every learner of a time zone whose local day is not the one of their forecasts (but of a
 * zone whose new day was made ahead, `rollups/next-day.ts`, only those changed since) — or all
 * of them for another catalog. Each row carries the tier the report ranks its learner at (their
 * plan in `rollup_months` for the UTC month, folded up to the same `doneId`: another UTC month
 * sets each row's anew, and changes nothing else). One refresher at a time (the state row),
 * waiting at most `waitMs` for another: false past it.
 */
export async function refreshForecasts(
  db: Db,
  params: { tiers: Tiers; now: Date; doneId: number; waitMs?: number },
): Promise<boolean> {
  const at = instant(params.now);
  const catalog = catalogDigest(params.tiers);
  const month = utcMonthDate(params.now);
  /** The grants that expired between the instant `since` (the last refresh) and now. */
  const expiredSince = (since: SQL) => sql`usagekit.grants
    WHERE expires_at > least(${since}, ${at}) AND expires_at <= greatest(${since}, ${at})`;
  const done = await unlessBusy(
    db.transaction(async (tx) => {
      await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${params.waitMs ?? 2_000}ms'`));
      const [state] = await queryRows<State>(
        tx,
        sql`SELECT catalog IS DISTINCT FROM ${catalog} OR at IS NULL AS "full",
          month IS DISTINCT FROM ${month}::date AS "newMonth", done_id::float8 AS "doneId",
          EXISTS (SELECT 1 FROM usagekit.forecast_dirty) AS "dirty",
          EXISTS (SELECT 1 FROM ${expiredSince(sql`at`)}) AS "expired",
          (SELECT coalesce(jsonb_agg(z.key), '[]'::jsonb) FROM jsonb_each_text(zones) z
            WHERE z.value::date <> ${localDay(at, sql`z.key`)}) AS "turned"
        FROM usagekit.forecast_state FOR UPDATE`,
      );
      await tx.execute(sql`SET LOCAL lock_timeout = 0`);
      await untimed(tx);
      const s = state!;
      const same = !s.full && !s.newMonth && !s.dirty && !s.expired && !s.turned.length;
      if (same && s.doneId >= params.doneId) return true;
      // A new UTC month changes no forecast, only the plan each is ranked at: that month's (the
      // learners of the zones turned with it are taken as made ahead or made again below).
      const turned = zoneArray(s.turned);
      if (s.newMonth && !s.full)
        await tx.execute(sql`UPDATE usagekit.forecasts k SET plan_tier = ${planTierSql("k", month)}
          WHERE k.user_id NOT IN ${learnersIn(turned)}`);
      // The turned zones whose new day was made ahead: their rows taken as made, and of their
      // learners only those with events since made again (with the marked and expired ones).
      const next = await takeNextDay(tx, { turned: s.full ? [] : s.turned, catalog, month, at });
      const ready = zoneArray(next.ready);
      const remake = zoneArray(s.turned.filter((z) => !next.ready.includes(z)));
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
                WHERE id > ${Math.min(s.doneId, next.doneId)} AND id <= ${params.doneId}
              UNION ALL SELECT user_id, NULL FROM ${expiredSince(sql`coalesce((SELECT at FROM usagekit.forecast_state), ${at})`)}
              UNION ALL SELECT id, NULL FROM ${learnersIn(remake)} r`
          }) w GROUP BY user_id`);
      await tx.execute(sql`ANALYZE forecast_who`);
      const users = s.full
        ? sql`usagekit.users`
        : sql`(SELECT * FROM usagekit.users WHERE id IN (SELECT user_id FROM forecast_who))`;
      await tx.execute(sql`
        -- Only the marks seen: one made again since (a new v) is this refresh's change unseen.
        WITH taken AS (DELETE FROM usagekit.forecast_dirty d USING forecast_who w
          WHERE d.user_id = w.user_id AND d.v = w.v AND ${!next.keepMarks}),
        made AS MATERIALIZED (${keptRowsSql(params.tiers, params.now, users)}),
        gone AS (
          DELETE FROM usagekit.forecasts k
          WHERE ${s.full ? sql`true` : sql`k.user_id IN (SELECT user_id FROM forecast_who)`}
            AND NOT EXISTS (SELECT 1 FROM made m WHERE m.user_id = k.user_id AND m.feature = k.feature)
        ), kept AS (
          INSERT INTO usagekit.forecasts AS k ${keptColumns}
          SELECT * FROM made
          ON CONFLICT (user_id, feature) DO UPDATE SET tier = excluded.tier, plan_tier = excluded.plan_tier,
            used = excluded.used, "limit" = excluded."limit", projected = excluded.projected,
            reaches = excluded.reaches
        )
        -- The zones' local days the forecasts are made for now: every zone's after a full
        -- refresh; else the turned zones' are dropped, and those taken ahead and those of the
        -- learners made again set.
        UPDATE usagekit.forecast_state SET done_id = greatest(done_id, ${params.doneId}), catalog = ${catalog},
          month = ${month}::date, at = ${at},
          zones = ${s.full ? sql`'{}'::jsonb` : sql`(zones - ${turned})`} || (
            SELECT coalesce(jsonb_object_agg(timezone, ${localDay(at, sql`timezone`)}), '{}'::jsonb)
            FROM (SELECT DISTINCT timezone FROM ${users} u UNION SELECT unnest(${ready})) z)`);
      return true;
    }),
  );
  return done ?? false;
}
