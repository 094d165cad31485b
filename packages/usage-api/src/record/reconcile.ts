import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { everyKey } from "./ledger-key";
import { filtersDrift, pastKeysRefiltered } from "./key-filter";
import { isRetryableConflict } from "./retry";
import { holdsDrift, repairHolds } from "../reservations/reconcile";
import { grantsDrift } from "../grants/reconcile";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";
import { coveredSql, overageSql, softLimitSql } from "../limits/tier-sql";
import { monthEnd, monthStart } from "../calendar/local-month";
import { forecastsStale } from "../rollups/stale";

const raw = sql.raw;
/** The columns of the monthly and the lifetime rows that the ledger decides. */
const compared = ({ featureColumns, overageColumn }: Columns) => ({
  monthly: [
    ...Object.values(featureColumns).map((c) => c.monthly),
    "completed_session_seconds",
    "longest_session",
    ...Object.values(overageColumn),
    "granted",
    "tier_when_used",
    "last_event_at",
    "last_conversation_at",
    "last_realtime_at",
  ],
  lifetime: [
    ...Object.values(featureColumns).map((c) => c.lifetime),
    "days_active",
    "first_active_at",
    "first_conversation_at",
    "last_active_at",
    "total_revenue",
    "months_subscribed",
  ],
});

/** Every user, or some: the scope of a reconcile statement. */
const scope = (column: string, userIds?: string[]) =>
  userIds === undefined
    ? sql`true`
    : sql`${raw(column)} IN (${sql.join(
        userIds.map((id) => sql`${id}::text`),
        sql`, `,
      )})`;

/**
 * A month or day row (`alias`, its date column `column`) of a month the retention command
 * dropped from the ledger: not checked against the ledger, which no longer holds its events.
 */
const retainedOnly = (alias: string, column: string) =>
  sql`EXISTS (SELECT 1 FROM usagekit.ledger_retained r WHERE r.user_id = ${raw(alias)}.user_id
    AND ${raw(`${alias}.${column}`)} < r.kept_from)`;

/** The monthly rows the ledger implies (overage replayed in ledger order at each event's tier). */
const expectedMonthly = (tiers: Tiers, userIds?: string[]) => {
  const c = columnsOf(tiers);
  const { billableFeatures, commaEachBillable, eachFeature, featureColumns } = c;
  const { overageColumn, roleCol, sessionLengthSql, sessionSecondsSql } = c;
  return sql`
  SELECT user_id, month,
    ${eachFeature((f) => sql`sum(${raw(featureColumns[f].ledger)})::bigint AS ${raw(featureColumns[f].monthly)}`)},
    sum(${sessionSecondsSql()})::bigint AS completed_session_seconds,
    max(${sessionLengthSql()})::bigint AS longest_session,
    ${sql.join(
      billableFeatures.map((f) => {
        const x = raw(featureColumns[f].ledger);
        const run = raw(`run_${featureColumns[f].ledger}`);
        return sql`sum(${overageSql(raw(`soft_${featureColumns[f].ledger}`), sql`${run} - ${x}`, x)} - ${coveredSql("ev", f)})::bigint AS ${raw(overageColumn[f])},`;
      }),
    )}
    usagekit.jsonb_sum(granted) AS granted,
    (array_agg(tier ORDER BY occurred_at DESC, id DESC))[1] AS tier_when_used,
    max(occurred_at) AS last_event_at,
    max(occurred_at) FILTER (WHERE ${roleCol("conversation")} > 0) AS last_conversation_at,
    max(occurred_at) FILTER (WHERE ${roleCol("realtimeSession")} > 0) AS last_realtime_at
  FROM (SELECT e.* ${commaEachBillable((f) => {
    const x = featureColumns[f].ledger;
    return sql`${softLimitSql(tiers, sql`e.tier`, f)} AS ${raw(`soft_${x}`)},
            sum(${raw(x)}) OVER (PARTITION BY user_id, month ORDER BY id) AS ${raw(`run_${x}`)}`;
  })}
        FROM usagekit.usage_events e WHERE ${scope("e.user_id", userIds)}) ev
  GROUP BY user_id, month`;
};

/**
 * The lifetime rows the ledger, the days and the payments imply, with what the retention command
 * kept of the months it dropped.
 */
const expectedLifetime = (
  { eachFeature, featureColumns, roleCol }: Columns,
  userIds?: string[],
) => sql`
  SELECT u.id AS user_id,
    ${eachFeature((f) => sql`(coalesce(e.${raw(featureColumns[f].ledger)}, 0) + coalesce(r.${raw(featureColumns[f].ledger)}, 0))::bigint AS ${raw(featureColumns[f].lifetime)}`)},
    coalesce(d.days, 0)::int AS days_active, least(r.first_active_at, e.first_active_at) AS first_active_at,
    least(r.first_conversation_at, e.first_conversation_at) AS first_conversation_at,
    greatest(r.last_active_at, e.last_active_at) AS last_active_at,
    coalesce(p.revenue, 0)::numeric(20, 2) AS total_revenue,
    coalesce(p.months, 0)::int AS months_subscribed
  FROM usagekit.users u
  LEFT JOIN (SELECT user_id, ${eachFeature((f) => sql`sum(${raw(featureColumns[f].ledger)}) AS ${raw(featureColumns[f].ledger)}`)},
      min(occurred_at) AS first_active_at, max(occurred_at) AS last_active_at,
      min(occurred_at) FILTER (WHERE ${roleCol("conversation")} > 0) AS first_conversation_at
    FROM usagekit.usage_events WHERE ${scope("user_id", userIds)} GROUP BY user_id) e ON e.user_id = u.id
  LEFT JOIN usagekit.ledger_retained r ON r.user_id = u.id
  LEFT JOIN (SELECT user_id, count(*) AS days FROM usagekit.daily_activity
    WHERE ${scope("user_id", userIds)} GROUP BY user_id) d ON d.user_id = u.id
  LEFT JOIN (SELECT user_id, sum(amount) AS revenue,
      count(DISTINCT month) FILTER (WHERE kind = 'subscription') AS months
    FROM usagekit.payments WHERE ${scope("user_id", userIds)} GROUP BY user_id) p ON p.user_id = u.id
  WHERE ${scope("u.id", userIds)}`;

/** The days the ledger implies: its events per day (a correction is not an event of a day). */
const expectedDaily = (userIds?: string[]) =>
  sql`SELECT user_id, day, count(*)::int AS events FROM usagekit.usage_events
    WHERE corrects_key IS NULL AND ${scope("user_id", userIds)} GROUP BY user_id, day`;

/** Each keyed ledger event's claim (`record/ledger-key.ts`): its key and the month it is in. */
const expectedKeys = (userIds?: string[]) =>
  sql`SELECT user_id, idempotency_key, month FROM usagekit.usage_events
    WHERE idempotency_key IS NOT NULL AND ${scope("user_id", userIds)}`;

const cols = (names: string[], alias?: string) =>
  raw(names.map((c) => (alias ? `${alias}.${c}` : c)).join(", "));

/**
 * Rows of `table` that differ from `expected` (missing, extra or changed), as JSON pairs; the
 * rows of months the retention command dropped (`dateColumn`) are not compared.
 */
const driftQuery = (
  table: string,
  keys: string[],
  compared: string[],
  expected: SQL,
  dateColumn?: string,
  actual: SQL = raw(`usagekit.${table}`),
) => sql`
  SELECT ${table} AS "table", to_jsonb(x) AS "expected", to_jsonb(a) AS "actual"
  FROM (${expected}) x
  FULL JOIN (SELECT ${cols([...keys, ...compared], "t")} FROM ${actual} t
    WHERE ${dateColumn ? sql`NOT ${retainedOnly("t", dateColumn)}` : sql`true`}) a
    ON ${raw(keys.map((k) => `a.${k} = x.${k}`).join(" AND "))}
  WHERE (${cols(compared, "x")}) IS DISTINCT FROM (${cols(compared, "a")})`;

export interface Drift {
  /**
   * `users`: live holds that are not the user's live reservations; `grants`: what grants gave
   * is not what the ledger took from them (reported, not repaired); `usage_event_keys`: a keyed
   * event without its key's claim, a claim without its event, or a user's filter of past keys
   * lacking one of them.
   */
  table:
    "monthly_usage" | "lifetime_stats" | "daily_activity" | "usage_event_keys" | "users" | "grants";
  expected: Record<string, unknown> | null;
  actual: Record<string, unknown> | null;
}

/**
 * Every derived row that disagrees with the ledger and payments (the source of truth), and every
 * user whose live holds are not its live reservations at `now` (default: the system clock).
 */
export async function findDrift(db: Db, params: { tiers: Tiers; now?: Date }): Promise<Drift[]> {
  const c = columnsOf(params.tiers);
  const { monthly, lifetime } = compared(c);
  return queryRows<Drift>(
    db,
    sql`${driftQuery("monthly_usage", ["user_id", "month"], monthly, expectedMonthly(params.tiers), "month")}
    UNION ALL ${driftQuery("lifetime_stats", ["user_id"], lifetime, expectedLifetime(c))}
    UNION ALL ${driftQuery("daily_activity", ["user_id", "day"], ["events"], expectedDaily(), "day")}
    UNION ALL ${driftQuery("usage_event_keys", ["user_id", "idempotency_key"], ["month"], expectedKeys(), undefined, everyKey)}
    UNION ALL ${filtersDrift()}
    UNION ALL ${holdsDrift(params.tiers, params.now ?? new Date())}
    UNION ALL ${grantsDrift()}`,
  );
}

/** Writes the expected rows over the drifted ones; `extra` fills columns only a new row needs. */
const upsert = (
  table: string,
  keys: string[],
  compared: string[],
  expected: SQL,
  extra: { columns: string[]; values: SQL } = { columns: [], values: sql`` },
) => sql`
  INSERT INTO ${raw(`usagekit.${table}`)} (${cols([...keys, ...compared, ...extra.columns])})
  SELECT ${cols([...keys, ...compared], "x")}${extra.values} FROM (${expected}) x
  ON CONFLICT (${cols(keys)}) DO UPDATE SET ${raw(compared.map((c) => `${c} = excluded.${c}`).join(", "))}
  WHERE (${cols(compared, `${table}`)}) IS DISTINCT FROM (${cols(compared, "excluded")})`;

/** Users repaired per transaction: short transactions, and few of them for a full rebuild. */
const REPAIR_CHUNK = 500;

/**
 * Rewrites some users' derived rows from the ledger, safely while writers run: their monthly,
 * daily and lifetime rows are locked first, in user id order and in the order writers lock them,
 * so no write is in flight on them; the expected rows are then computed by later statements,
 * which see every committed event. A writer that was waiting adds its event on top of the
 * repaired row. `userIds` undefined: every user's, set-based and without the locks — an offline
 * rebuild (a database seeded in SQL), with a line per table to `log`.
 */
async function repairUsers(
  db: Db,
  tiers: Tiers,
  userIds?: string[],
  log: (line: string) => void = () => {},
) {
  const c = columnsOf(tiers);
  const { monthly, lifetime } = compared(c);
  const ids = scope("user_id", userIds);
  await db.transaction(async (tx) => {
    if (userIds) {
      await tx.execute(
        sql`SELECT 1 FROM usagekit.monthly_usage WHERE ${ids} ORDER BY user_id, month FOR UPDATE`,
      );
      await tx.execute(
        sql`SELECT 1 FROM usagekit.daily_activity WHERE ${ids} ORDER BY user_id, day FOR UPDATE`,
      );
      await tx.execute(
        sql`SELECT 1 FROM usagekit.lifetime_stats WHERE ${ids} ORDER BY user_id FOR UPDATE`,
      );
    }
    await tx.execute(sql`DELETE FROM usagekit.daily_activity a WHERE ${scope("a.user_id", userIds)}
      AND NOT ${retainedOnly("a", "day")} AND NOT EXISTS
      (SELECT 1 FROM usagekit.usage_events e WHERE e.user_id = a.user_id AND e.day = a.day
        AND e.corrects_key IS NULL)`);
    await tx.execute(
      upsert("daily_activity", ["user_id", "day"], ["events"], expectedDaily(userIds)),
    );
    log("derived rows: daily_activity rebuilt");
    await tx.execute(sql`DELETE FROM usagekit.monthly_usage m WHERE ${scope("m.user_id", userIds)}
      AND NOT ${retainedOnly("m", "month")} AND NOT EXISTS
      (SELECT 1 FROM usagekit.usage_events e WHERE e.user_id = m.user_id AND e.month = m.month)`);
    const zone = sql`(SELECT timezone FROM usagekit.users WHERE id = x.user_id)`;
    const period = sql`, ${monthStart(sql`x.month`, zone)}, ${monthEnd(sql`x.month`, zone)}`;
    await tx.execute(
      upsert("monthly_usage", ["user_id", "month"], monthly, expectedMonthly(tiers, userIds), {
        columns: ["period_start", "period_end"],
        values: period,
      }),
    );
    log("derived rows: monthly_usage rebuilt");
    await tx.execute(upsert("lifetime_stats", ["user_id"], lifetime, expectedLifetime(c, userIds)));
    log("derived rows: lifetime_stats rebuilt");
    // Claims: the keys of the user's events, no others (a key whose event is gone is free), recent
    // then past (a key moved meanwhile is seen by the second); a key missing from both is claimed
    // again among the recent ones; the past ones are filtered again.
    for (const table of ["usage_event_keys", "usage_event_keys_past"])
      await tx.execute(sql`DELETE FROM ${raw(`usagekit.${table}`)} k WHERE ${scope("k.user_id", userIds)}
        AND NOT EXISTS (SELECT 1 FROM usagekit.usage_events e WHERE e.user_id = k.user_id
          AND e.month = k.month AND e.idempotency_key = k.idempotency_key)`);
    const unclaimed = sql`SELECT x.* FROM (${expectedKeys(userIds)}) x WHERE NOT EXISTS (SELECT 1
      FROM usagekit.usage_event_keys_past p WHERE (p.user_id, p.idempotency_key, p.month) = (x.user_id, x.idempotency_key, x.month))`;
    await tx.execute(
      upsert("usage_event_keys", ["user_id", "idempotency_key"], ["month"], unclaimed),
    );
    await tx.execute(pastKeysRefiltered(ids));
    // Their months may have changed under their kept forecasts: made again at the next refresh.
    await tx.execute(
      forecastsStale(
        userIds && sql`SELECT jsonb_array_elements_text(${JSON.stringify(userIds)}::jsonb)`,
      ),
    );
  });
}

/**
 * Every user's derived rows written from the ledger in one set-based transaction, with no
 * writers running: for a database whose ledger was seeded in SQL (the benches' populations).
 */
export const rebuildDerived = (db: Db, params: { tiers: Tiers; log?: (line: string) => void }) =>
  repairUsers(db, params.tiers, undefined, params.log);

/**
 * Rewrites every drifted row from the ledger, in chunks of users (in user id order), each in its
 * own transaction that is safe while writers run; a deadlock or serialization failure is
 * retried. Returns the drift it found.
 */
export async function repairDrift(db: Db, params: { tiers: Tiers; now?: Date }): Promise<Drift[]> {
  const drift = await findDrift(db, params);
  const users = [...new Set(drift.map((d) => String((d.expected ?? d.actual)!["user_id"])))].sort();
  for (let i = 0; i < users.length; i += REPAIR_CHUNK) {
    const chunk = users.slice(i, i + REPAIR_CHUNK);
    for (let attempt = 1; ; attempt++) {
      try {
        await repairUsers(db, params.tiers, chunk);
        await repairHolds(db, params.tiers, chunk, params.now ?? new Date());
        break;
      } catch (error) {
        if (!isRetryableConflict(error) || attempt >= 10) throw error;
      }
    }
  }
  return drift;
}
