import { preparedStatement } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { BillableFeature, Feature, Tiers } from "../limits/tiers";
import { claimed, claimKeys } from "./ledger-key";
import { rowsSql, userOf } from "./rows-sql";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { overageSql, softLimitSql } from "../limits/tier-sql";
import { OUT_OF_WINDOW } from "../calendar/window";
import type { MonthlyUsage } from "../store/columns";
import { inSavepoint } from "../store/savepoint";
import { answerKnown, KnownKeys, monthKey } from "./idempotency";
import type { KnownKey } from "./idempotency";
import { invalid } from "./results";
import type { BatchResult, ValidEvent } from "./results";
import { localDay, localMonth, windowStart } from "../calendar/local-month";
import { needsAllowanceSql } from "../limits/allowance-sql";

/**
 * A batch without enforced events in one statement, like the one-event statement but set-based:
 * each event's month and day in its user's zone, the window, the ledger rows in input order (the
 * first of each key; a known key is skipped by the unique index), and the month, day and lifetime
 * rows summed from the rows actually inserted — overage past a soft limit added per month row
 * (summed increments at one tier telescope into the overage of the sum). Answers each touched
 * month row, each with the inserted events as `[i, month]` pairs.
 */
const writeUnenforced = preparedStatement((tiers: Tiers) => unenforcedStatement(tiers));

/**
 * The values `writeUnenforced` binds: the events as one JSON array, each with the server's clock
 * for it (the window is relative to it), every feature's amount (0 where it names none). Built
 * field by field, each clock written once (a batch's events share one): the batch path's own cost
 * in Node is what its floor ratio measures.
 */
function unenforcedValues({ features, featureColumns }: Columns, valid: ValidEvent[]) {
  const iso = new Map<Date, string>();
  const isoOf = (d: Date) => iso.get(d) ?? iso.set(d, d.toISOString()).get(d)!;
  const rows = valid.map(({ i, event, at, now }) => {
    const row: Record<string, unknown> = {
      i,
      user_id: event.userId,
      key: event.idempotencyKey ?? null,
      at: isoOf(at),
      now: isoOf(now),
    };
    for (const f of features) row[featureColumns[f].ledger] = event[f] ?? 0;
    return row;
  });
  return { events: JSON.stringify(rows) };
}

function unenforcedStatement(tiers: Tiers): SQL {
  const c = columnsOf(tiers);
  const { features, eachFeature, ledgerCol: ledger, monthlyCol } = c;
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
    SELECT a.*, coalesce(u.tier, ${c.defaultTierSql}) AS tier, ${tz} AS tz, u.tier IS NULL AS new_user,
      ${localMonth(sql`a.at`, tz)} AS month, ${localDay(sql`a.at`, tz)} AS day,
      a.at >= ${windowStart(sql`a.now`, tz)} AS in_window,
      ${needsAllowanceSql(tiers, sql`a.user_id`, sql`coalesce(u.tier, ${c.defaultTierSql})`, localMonth(sql`a.at`, tz), sql`a.now`)} AS needs_plan,
      CASE WHEN a.key IS NULL THEN 1
        ELSE row_number() OVER (PARTITION BY a.user_id, a.key ORDER BY a.i) END AS rn
    FROM a LEFT JOIN ${userOf("a.user_id")}
  ), claimed AS (
    ${claimKeys({ from: sql`ev`, userId: sql`user_id`, key: sql`key`, month: sql`month`, where: sql`in_window AND NOT needs_plan AND rn = 1` })}
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledger)})
    SELECT user_id, key, at, month, day, tier, ${eachFeature((f) => sql`ev.${ledger(f)}`)}
    FROM ev WHERE in_window AND NOT needs_plan AND rn = 1
      AND ${claimed(sql`ev.user_id`, sql`ev.key`)} ORDER BY i
    RETURNING user_id, idempotency_key
  ), ok AS (
    -- The events inserted. IN under an OR, so a hashed subplan: a plain IN becomes a semi-join,
    -- planned as a nested loop over two CTEs (500 × 500 comparisons for a batch).
    SELECT ev.* FROM ev WHERE ev.in_window AND NOT ev.needs_plan AND (ev.key IS NULL
      OR (ev.rn = 1 AND (ev.user_id, ev.key) IN (SELECT user_id, idempotency_key FROM led)))
  ), usr AS (
    -- Only users that had no row (see batch-sql.ts: an existing user's id would wait for a plan
    -- change holding that row while this statement holds month rows it wants).
    INSERT INTO usagekit.users (id) SELECT DISTINCT user_id FROM ok WHERE new_user ORDER BY 1
    ON CONFLICT (id) DO NOTHING
  ), ${rowsSql(tiers).summedRows("ok", {
    // Summed increments at one tier telescope: the overage of the sum.
    insert: (f) => overageSql(soft(f, sql`min(ok.tier)`), sql`0`, sum(f)),
    added: (f) =>
      overageSql(
        soft(f, sql`excluded.tier_when_used`),
        sql`m.${monthlyCol(f)}`,
        sql`excluded.${monthlyCol(f)}`,
      ),
  })}
  -- The inserted events and those left to plan once, on the first row (InitPlans: computed
  -- once, sent once); that row is there when nothing was inserted too.
  SELECT CASE WHEN row_number() OVER () = 1 THEN
      (SELECT coalesce(jsonb_agg(jsonb_build_array(i, to_char(month, 'YYYY-MM-DD'))), '[]') FROM ok)
    END AS "recorded",
    CASE WHEN row_number() OVER () = 1 THEN
      (SELECT coalesce(jsonb_agg(i), '[]') FROM ev WHERE in_window AND needs_plan)
    END AS "deferred", mon.*
  FROM (SELECT 1) AS one LEFT JOIN mon ON true`;
}

type Written = MonthlyUsage & {
  userId: string | null;
  monthDate: string;
  recorded: [number, string][] | null;
  deferred: number[] | null;
};

/**
 * A batch without enforced events: one statement, then the answers for what it did not insert;
 * the events whose users' grants or rollover count are left `deferred`, to be planned.
 */
export async function applyUnenforced(
  db: Db,
  valid: ValidEvent[],
  tiers: Tiers,
  progress: { written: boolean },
) {
  const c = columnsOf(tiers);
  const values = unenforcedValues(c, valid);
  const written = await inSavepoint(db, (d) => writeUnenforced<Written>(d, tiers, values));
  progress.written = true; // what follows only reads
  const months = new Map<string, MonthlyUsage>();
  for (const row of written) {
    if (row.userId !== null) months.set(monthKey(row.userId, row.monthDate), c.monthlyOf(row));
  }
  const results = new Map<number, BatchResult>();
  const recorded = new Map(written[0]!.recorded!);
  const deferredIndexes = new Set(written[0]!.deferred!);
  const deferred = valid.filter((v) => deferredIndexes.has(v.i));
  const byIndex = new Map(valid.map((v) => [v.i, v]));
  for (const [i, month] of recorded) {
    results.set(i, {
      status: "recorded",
      usage: months.get(monthKey(byIndex.get(i)!.event.userId, month))!,
    });
  }
  // Not inserted: a key recorded before (or earlier in this batch), or outside the window.
  const rest = valid.filter((v) => !recorded.has(v.i) && !deferredIndexes.has(v.i));
  const known = await KnownKeys.read(db, c, rest);
  const retried: { v: ValidEvent; seen: KnownKey }[] = [];
  for (const v of rest) {
    const seen = known.of(v);
    if (seen) retried.push({ v, seen });
    else results.set(v.i, invalid("BAD_REQUEST", OUT_OF_WINDOW));
  }
  for (const [i, r] of await answerKnown(db, c, retried, months)) results.set(i, r);
  return { results, deferred };
}
