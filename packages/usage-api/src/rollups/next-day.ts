import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { instant, localDay } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { unlessBusy } from "../store/error-codes";
import {
  catalogDigest,
  keptColumns,
  keptRowsSql,
  learnersIn,
  untimed,
  utcMonthDate,
  zoneArray,
} from "./kept-rows";

/** How long before a zone's local midnight its learners' forecasts for the new day are made. */
const NEXT_DAY_LEAD_MS = 5 * 60_000;

/**
 * The forecasts of the learners of the zones whose local day turns next (within `leadMs` of
 * `now`, the earliest such midnight), made ahead for their new day — at that midnight, from the
 * rows as they stand now, with the ledger's events folded up to `doneId` — into
 * `forecasts_next`, so that the turn (`refreshForecasts`) takes them as made and makes again only
 * the learners changed since: the turn of a zone of a million learners costs what their changes
 * cost, not their every forecast. The zones are those of the kept forecasts (`forecast_state`).
 * Off the reports' path: the server's timer calls it after each refresh. It holds only its own
 * state row (a refresh running meanwhile leaves the made-ahead rows alone and makes the zone
 * itself), and only when no one else holds it: false when another is making them or a refresh
 * holds it (the next tick tries again), true when made or nothing is due.
 */
export async function prepareNextDay(
  db: Db,
  params: { tiers: Tiers; now: Date; doneId: number; leadMs?: number },
): Promise<boolean> {
  const at = instant(params.now);
  const catalog = catalogDigest(params.tiers);
  const lead = params.leadMs ?? NEXT_DAY_LEAD_MS;
  const done = await unlessBusy(
    db.transaction(async (tx) => {
      const [due] = await queryRows<{ next: number | null; zones: string[]; made: boolean }>(
        tx,
        sql`WITH turns AS (
          SELECT z.key AS zone, (z.value::date + 1)::timestamp AT TIME ZONE z.key AS next
          FROM usagekit.forecast_state s, jsonb_each_text(s.zones) z
        ), first AS (
          SELECT min(next) AS next FROM turns
          WHERE next > ${at} AND next <= ${at} + ${lead} * interval '1 millisecond'
        )
        SELECT extract(epoch FROM f.next)::float8 * 1000 AS "next",
          coalesce((SELECT jsonb_agg(t.zone) FROM turns t WHERE t.next = f.next), '[]'::jsonb) AS "zones",
          n.at = f.next AND n.catalog = ${catalog} AS "made"
        FROM usagekit.forecast_next_state n, first f FOR UPDATE OF n NOWAIT`,
      );
      if (due?.next == null || due.made) return true;
      const midnight = new Date(due.next);
      const next = instant(midnight);
      const zones = zoneArray(due.zones);
      await untimed(tx);
      await tx.execute(sql`DELETE FROM usagekit.forecasts_next`);
      await tx.execute(sql`INSERT INTO usagekit.forecasts_next ${keptColumns}
        ${keptRowsSql(params.tiers, midnight, sql`(SELECT * FROM usagekit.users WHERE timezone = ANY(${zones}))`)}`);
      await tx.execute(sql`UPDATE usagekit.forecast_next_state SET done_id = ${params.doneId},
        catalog = ${catalog}, month = ${utcMonthDate(midnight)}::date, at = ${next},
        zones = (SELECT jsonb_object_agg(z, ${localDay(next, sql`z`)}) FROM unnest(${zones}) z)`);
      return true;
    }),
  );
  return done ?? false;
}

/** What a refresh does with the day made ahead (`takeNextDay`). */
export interface NextDay {
  /** The turned zones whose learners' rows were taken as made ahead. */
  ready: string[];
  /** The ledger id they were made with: the learners with events after it are made again
   * (`Infinity` when none was taken). */
  doneId: number;
  /**
   * The marks of `forecast_dirty` stay after the refresh (each refresh makes their learners
   * again): a day is being made ahead, or made and not taken yet, and it may not have seen them.
   */
  keepMarks: boolean;
}

/**
 * At a refresh (holding `forecast_state`, and the row of `forecast_next_state` until it commits,
 * so that no `prepareNextDay` starts meanwhile — it waits for no one and tries again): of the
 * `turned` zones, those made ahead for the local day they have turned to, for this catalog and
 * UTC month, have their learners' kept forecasts replaced by the rows made ahead. While a day is
 * being made (its row locked), or made for a later instant, the marks stay for the turn.
 */
export async function takeNextDay(
  tx: Db,
  p: { turned: string[]; catalog: string; month: string; at: SQL },
): Promise<NextDay> {
  const [next] = await queryRows<NextDay & { pending: boolean }>(
    tx,
    sql`SELECT done_id::float8 AS "doneId", coalesce(at > ${p.at}, false) AS "pending",
      CASE WHEN n.catalog = ${p.catalog} AND n.month = ${p.month}::date THEN
        (SELECT coalesce(jsonb_agg(z.key), '[]'::jsonb) FROM jsonb_each_text(n.zones) z
          WHERE z.key = ANY(${zoneArray(p.turned)}) AND z.value::date = ${localDay(p.at, sql`z.key`)})
      ELSE '[]'::jsonb END AS "ready"
    FROM usagekit.forecast_next_state n FOR SHARE SKIP LOCKED`,
  );
  if (!next) return { ready: [], doneId: Infinity, keepMarks: true };
  if (next.ready.length) {
    // Their learners as they are now: one who moved zone since is marked, so made again.
    const ready = learnersIn(zoneArray(next.ready));
    await tx.execute(sql`DELETE FROM usagekit.forecasts WHERE user_id IN ${ready}`);
    await tx.execute(sql`INSERT INTO usagekit.forecasts ${keptColumns}
      SELECT user_id, feature, tier, plan_tier, used, "limit", projected, reaches
      FROM usagekit.forecasts_next WHERE user_id IN ${ready}`);
  }
  // The ledger id matters only to the zones taken: any other refresh goes on from its own.
  const doneId = next.ready.length ? next.doneId : Infinity;
  return { ready: next.ready, doneId, keepMarks: next.pending };
}
