import { preparedStatement } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { features } from "../tiers";
import type { BillableFeature, Feature, Tiers } from "../tiers";
import { summedRows, userOf } from "./batch-rows-sql";
import { eachFeature, featureColumns, ledgerCol, monthlyCol } from "./columns";
import { overageSql, softLimitSql } from "./tier-sql";

const ledger = ledgerCol;

export interface FastEvent {
  i: number;
  userId: string;
  key: string | null;
  at: string;
  /** The server's clock for this event (the window is relative to it). */
  now: string;
  amounts: Record<Feature, number>;
}

/**
 * A batch without enforced events in one statement, like the one-event statement but set-based:
 * each event's month and day in its user's zone, the window, the ledger rows in input order (the
 * first of each key; a known key is skipped by the unique index), and the month, day and lifetime
 * rows summed from the rows actually inserted — overage past a soft limit added per month row
 * (summed increments at one tier telescope into the overage of the sum). Answers each touched
 * month row, each with the inserted events as `[i, month]` pairs.
 */
export const writeUnenforced = preparedStatement((tiers: Tiers) => unenforcedStatement(tiers));

/** The values `writeUnenforced` binds: the events as one JSON array. */
export const unenforcedValues = (events: FastEvent[]) => ({
  events: JSON.stringify(
    events.map((e) => ({
      i: e.i,
      user_id: e.userId,
      key: e.key,
      at: e.at,
      now: e.now,
      ...Object.fromEntries(features.map((f) => [featureColumns[f].ledger, e.amounts[f]])),
    })),
  ),
});

function unenforcedStatement(tiers: Tiers): SQL {
  const tz = sql`coalesce(u.timezone, 'UTC')`;
  const sum = (f: Feature) => sql`sum(ok.${ledger(f)})`;
  const soft = (f: BillableFeature, tier: SQL) => softLimitSql(tiers, tier, f);
  return sql`
  WITH a AS (
    SELECT * FROM jsonb_to_recordset(${sql.placeholder("events")}::jsonb) AS a(i int, user_id text,
      key text, at timestamptz, now timestamptz, ${sql.join(
        features.map((f) => sql`${ledger(f)} int`),
        sql`, `,
      )})
  ), ev AS (
    SELECT a.*, coalesce(u.tier, 'free') AS tier, ${tz} AS tz,
      date_trunc('month', a.at AT TIME ZONE ${tz})::date AS month, (a.at AT TIME ZONE ${tz})::date AS day,
      a.at >= (date_trunc('month', a.now AT TIME ZONE ${tz})
        - interval '1 month') AT TIME ZONE ${tz} AS in_window,
      CASE WHEN a.key IS NULL THEN 1
        ELSE row_number() OVER (PARTITION BY a.user_id, a.key ORDER BY a.i) END AS rn
    FROM a LEFT JOIN ${userOf("a.user_id")}
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledger)})
    SELECT user_id, key, at, month, day, tier, ${eachFeature((f) => sql`ev.${ledger(f)}`)}
    FROM ev WHERE in_window AND rn = 1 ORDER BY i
    ON CONFLICT (user_id, idempotency_key) DO NOTHING
    RETURNING user_id, idempotency_key
  ), ok AS (
    SELECT ev.* FROM ev WHERE ev.in_window AND ev.key IS NULL
    UNION ALL
    -- IN, not a join: hashed once, where a join of two CTEs is planned as a nested loop.
    SELECT ev.* FROM ev WHERE ev.rn = 1 AND ev.key IS NOT NULL
      AND (ev.user_id, ev.key) IN (SELECT user_id, idempotency_key FROM led)
  ), usr AS (
    INSERT INTO usagekit.users (id) SELECT DISTINCT user_id FROM ok ORDER BY 1
    ON CONFLICT (id) DO NOTHING
  ), ${summedRows("ok", {
    // Summed increments at one tier telescope: the overage of the sum.
    insert: (f) => overageSql(soft(f, sql`min(ok.tier)`), sql`0`, sum(f)),
    added: (f) =>
      overageSql(
        soft(f, sql`excluded.tier_when_used`),
        sql`m.${monthlyCol(f)}`,
        sql`excluded.${monthlyCol(f)}`,
      ),
  })}
  -- The inserted events once, on the first row (an InitPlan: computed once, sent once).
  SELECT CASE WHEN row_number() OVER () = 1 THEN
      (SELECT coalesce(jsonb_agg(jsonb_build_array(i, to_char(month, 'YYYY-MM-DD'))), '[]') FROM ok)
    END AS "recorded", mon.*
  FROM mon`;
}
