import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Columns } from "../store/columns";
import type { Feature } from "../limits/tiers";

const raw = sql.raw;

/** The UTC month (its first day) of instant `column`: the analytics' months. */
export const utcMonthOf = (column: SQL) =>
  sql`date_trunc('month', (${column}) AT TIME ZONE 'UTC')::date`;

/** Bit i set when `test(features[i])` holds for the row (features in the catalog's order). */
export const featureBits = (c: Columns, test: (f: Feature) => SQL) =>
  sql.join(
    c.features.map((f, i) => sql`(CASE WHEN ${test(f)} THEN ${raw(bit(i))} ELSE 0 END)`),
    sql` | `,
  );
/** Feature i's bit as a SQL bigint literal. */
export const bit = (i: number) => `(1::bigint << ${i})`;

/**
 * A copy of the touched users' rollup rows (`rollup_rows`), read by their key user by user
 * (`OFFSET 0` keeps the planner from trading that for a scan of every row, which it misjudges
 * as cheaper): the contributions read it three times, and the next-month links within it.
 */
async function copyTouchedRows(tx: Db) {
  await tx.execute(sql`DELETE FROM rollup_rows`);
  await tx.execute(sql`INSERT INTO rollup_rows SELECT x.* FROM rollup_touched t
    CROSS JOIN LATERAL (SELECT * FROM usagekit.rollup_months x WHERE x.user_id = t.user_id
      OFFSET 0) x`);
}

/**
 * Adds (`sign` 1) or takes away (-1) what the touched users' rollup rows (`rows`: all of each
 * touched user's) contribute to the cross-user aggregates: per month, tier and feature signs
 * (users, those active the next month, totals), per month and practice seconds, per cohort (the
 * user's first month), its features and each active month. Taking them away before a fold and
 * adding them after keeps every aggregate equal to a plain aggregate of the rollup rows,
 * whatever the fold changed.
 */
async function contribute(tx: Db, c: Columns, sign: 1 | -1, rows: SQL) {
  const s = raw(String(sign));
  const totals = sql.join(
    c.features.map((f) => sql`${s} * sum(r.${c.ledgerCol(f)})::bigint`),
    sql`, `,
  );
  await tx.execute(sql`
      INSERT INTO usagekit.rollup_groups AS g (month, tier, positive, negative, users, back, totals)
      SELECT r.month, r.tier, r.positive, r.negative, ${s} * count(*), ${s} * count(n.user_id),
        ARRAY[${totals}]
      FROM ${rows} r LEFT JOIN ${rows} n
        ON n.user_id = r.user_id AND n.month = (r.month + interval '1 month')::date
      GROUP BY r.month, r.tier, r.positive, r.negative
      ON CONFLICT (month, tier, positive, negative) DO UPDATE SET users = g.users + excluded.users,
        back = g.back + excluded.back, totals = usagekit.totals_add(g.totals, excluded.totals)`);
  await tx.execute(sql`
      INSERT INTO usagekit.rollup_seconds AS h (month, seconds, users)
      SELECT r.month, r.${c.roleCol("practiceTime")}, ${s} * count(*) FROM ${rows} r GROUP BY 1, 2
      ON CONFLICT (month, seconds) DO UPDATE SET users = h.users + excluded.users`);
  await tx.execute(sql`
      INSERT INTO usagekit.rollup_cohorts AS k (cohort, used, month, users)
      SELECT f.month, f.used, r.month, ${s} * count(*)
      FROM ${rows} r JOIN (SELECT DISTINCT ON (user_id) user_id, month, used
        FROM ${rows} o ORDER BY user_id, month) f ON f.user_id = r.user_id
      GROUP BY 1, 2, 3
      ON CONFLICT (cohort, used, month) DO UPDATE SET users = k.users + excluded.users`);
}

/**
 * Folds the ledger's events with ids in (`from`, `to`] into the rollups, in one transaction:
 * their per user and UTC month totals are added to the users' rollup rows (the month's tier is
 * that of its latest event), and the aggregates follow (`contribute`).
 */
export async function fold(
  tx: Db,
  c: Columns,
  from: number,
  to: number,
  log: (line: string) => void = () => {},
) {
  const col = c.ledgerCol;
  const latest = (column: string) =>
    sql`(array_agg(${raw(column)} ORDER BY occurred_at DESC, id DESC))[1]`;
  await tx.execute(sql`
    CREATE TEMP TABLE rollup_delta ON COMMIT DROP AS
    SELECT user_id, ${utcMonthOf(sql`occurred_at`)} AS month, ${latest("tier")} AS tier,
      max(occurred_at) AS last_at, ${latest("id")} AS last_id,
      bit_or(${featureBits(c, (f) => sql`${col(f)} > 0`)}) AS used,
      ${sql.join(
        c.features.map((f) => sql`sum(${col(f)})::bigint AS ${col(f)}`),
        sql`, `,
      )}
    FROM usagekit.usage_events WHERE id > ${from} AND id <= ${to} GROUP BY 1, 2`);
  await tx.execute(sql`CREATE TEMP TABLE rollup_touched ON COMMIT DROP AS
    SELECT DISTINCT user_id FROM rollup_delta`);
  await tx.execute(sql`ANALYZE rollup_touched`);
  log("rollups: the new events summed per learner and month");
  // A first fold (or a rebuild: `from` 0) has no rows before it and reads the table itself
  // after; a later one copies its few users' rows, before and after.
  const bulk = from === 0;
  const rows = bulk
    ? sql`(SELECT x.* FROM usagekit.rollup_months x JOIN rollup_touched USING (user_id))`
    : sql`rollup_rows`;
  if (!bulk) {
    await tx.execute(sql`CREATE TEMP TABLE rollup_rows ON COMMIT DROP
      AS SELECT * FROM usagekit.rollup_months WITH NO DATA`);
    await copyTouchedRows(tx);
    await contribute(tx, c, -1, rows);
  }
  const sum = (f: Feature) => sql`r.${col(f)} + excluded.${col(f)}`;
  const later = sql`(excluded.last_at, excluded.last_id) > (r.last_at, r.last_id)`;
  await tx.execute(sql`
    INSERT INTO usagekit.rollup_months AS r (user_id, month, tier, last_at, last_id, positive,
      negative, used, ${sql.join(c.features.map(col), sql`, `)})
    SELECT user_id, month, tier, last_at, last_id, ${featureBits(c, (f) => sql`${col(f)} > 0`)},
      ${featureBits(c, (f) => sql`${col(f)} < 0`)}, used, ${sql.join(c.features.map(col), sql`, `)}
    FROM rollup_delta ORDER BY user_id, month
    ON CONFLICT (user_id, month) DO UPDATE SET
      tier = CASE WHEN ${later} THEN excluded.tier ELSE r.tier END,
      last_id = CASE WHEN ${later} THEN excluded.last_id ELSE r.last_id END,
      last_at = greatest(r.last_at, excluded.last_at),
      positive = ${featureBits(c, (f) => sql`${sum(f)} > 0`)},
      negative = ${featureBits(c, (f) => sql`${sum(f)} < 0`)},
      used = r.used | excluded.used,
      ${sql.join(
        c.features.map((f) => sql`${col(f)} = ${sum(f)}`),
        sql`, `,
      )}`);
  log("rollups: the learners' months written");
  if (!bulk) await copyTouchedRows(tx);
  await contribute(tx, c, 1, rows);
  log("rollups: the cross-user aggregates written");
  await tx.execute(sql`DELETE FROM usagekit.rollup_groups WHERE users = 0`);
  await tx.execute(sql`DELETE FROM usagekit.rollup_seconds WHERE users = 0`);
  await tx.execute(sql`DELETE FROM usagekit.rollup_cohorts WHERE users = 0`);
}
