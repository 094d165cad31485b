import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { overageUnits } from "../billing/money";
import type { Tiers } from "../limits/tiers";
import { earnedDates } from "../progress/milestones";
import { refreshRollups } from "../rollups/refresh";
import { columnsOf } from "../store/columns";

export interface RetentionResult {
  /** The first month kept (`YYYY-MM`); the ledger's months before it were dropped. */
  keptFrom: string;
  dropped: { month: string; events: number; users: number }[];
}

/**
 * The first month to keep with `keepMonths` kept before the current one. The current month is
 * judged a day behind UTC, so no time zone's current or previous month (the write window) is
 * ever dropped.
 */
const firstKept = (now: Date, keepMonths: number) =>
  sql`(date_trunc('month', (${now.toISOString()}::timestamptz - interval '1 day') AT TIME ZONE 'UTC')
    - make_interval(months => ${keepMonths}::int))::date`;

/** The months before `keptFrom` that the ledger still holds: its partitions' and the default's. */
const monthsBefore = (keptFrom: string) => sql`
  SELECT to_char(month, 'YYYY-MM-DD') AS month FROM (
    SELECT to_date(substr(c.relname, 14), 'YYYY_MM') AS month
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'usagekit.usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
    UNION SELECT DISTINCT month FROM usagekit.usage_events_default
  ) m WHERE month < ${keptFrom}::date ORDER BY 1`;

/**
 * Drops the ledger's raw events of the months before the last `keepMonths` (the retention
 * command), one month at a time, oldest first, each in one transaction: first it keeps what
 * answers still need of them — per user their totals, first and last instants, what they took
 * from grants and the milestones reached (`ledger_retained`), and their overage units
 * (`retained_overage`) — then drops the month's partition and forgets its keys. Monthly,
 * lifetime, streak, milestone and bill answers stay the same; reconcile checks the months the
 * ledger still holds; the analytics' rollups, folded first, keep the months. Prints a line per
 * month.
 */
export async function retainLedger(
  db: Db,
  params: { keepMonths: number; now: Date; tiers: Tiers; log?: (line: string) => void },
): Promise<RetentionResult> {
  const { keepMonths, now, tiers, log = () => {} } = params;
  if (!Number.isInteger(keepMonths) || keepMonths < 1)
    throw new Error("--keep-months: a whole number of months, at least 1");
  const c = columnsOf(tiers);
  const [{ keptFrom }] = (await queryRows<{ keptFrom: string }>(
    db,
    sql`SELECT to_char(${firstKept(now, keepMonths)}, 'YYYY-MM-DD') AS "keptFrom"`,
  )) as [{ keptFrom: string }];
  const months = await queryRows<{ month: string }>(db, monthsBefore(keptFrom));
  // The analytics' rollups keep the dropped months: every settled event is folded first (no new
  // event can land in a dropped month: the write window is the current and the previous month).
  if (months.length > 0 && (await refreshRollups(db, { tiers, onProgress: log })).behind)
    throw new Error("the analytics' rollups could not fold the writes in flight: try again");
  const dropped: RetentionResult["dropped"] = [];
  for (const { month } of months) {
    const partition = `usage_events_${month.slice(0, 4)}_${month.slice(5, 7)}`;
    const next = sql`(${month}::date + interval '1 month')::date`;
    const counts = await db.transaction(async (tx) => {
      const [exists] = await queryRows<{ found: boolean }>(
        tx,
        sql`SELECT to_regclass(${`usagekit.${partition}`}) IS NOT NULL AS found`,
      );
      // No correction may add to the month while it is summed and dropped: its partition, or the
      // default one that holds a month without its own, is locked until the month is gone (a
      // correction that has read the month's event is waited for).
      await tx.execute(
        sql.raw(
          exists?.found
            ? `LOCK TABLE usagekit.${partition} IN ACCESS EXCLUSIVE MODE`
            : `LOCK TABLE usagekit.usage_events_default IN EXCLUSIVE MODE`,
        ),
      );
      const users = await queryRows<{ userId: string; events: number }>(
        tx,
        sql`SELECT user_id AS "userId", count(*)::int AS "events" FROM usagekit.usage_events
          WHERE month = ${month}::date GROUP BY user_id`,
      );
      // The milestones reached so far, from the ledger as it still is (the earlier ones kept).
      const reached: { user_id: string; milestones: Record<string, string> }[] = [];
      for (const { userId } of users) {
        const dates = await earnedDates(tx, c, userId);
        const known = Object.entries(dates).filter((d): d is [string, Date] => d[1] !== null);
        reached.push({
          user_id: userId,
          milestones: Object.fromEntries(known.map(([id, at]) => [id, at.toISOString()])),
        });
      }
      await tx.execute(sql`
        INSERT INTO usagekit.retained_overage (user_id, month, tier, feature, units)
        SELECT user_id, month, tier, feature, units
        FROM (${overageUnits(sql`m.month = ${month}::date`, tiers)}) o`);
      await tx.execute(sql`
          INSERT INTO usagekit.ledger_retained AS r (user_id, kept_from, ${c.eachFeature(c.ledgerCol)},
            first_active_at, first_conversation_at, last_active_at, granted, milestones)
          SELECT e.user_id, ${next}, ${c.eachFeature((f) => sql`sum(e.${c.ledgerCol(f)})`)},
            min(e.occurred_at), min(e.occurred_at) FILTER (WHERE ${c.roleCol("conversation", "e")} > 0),
            max(e.occurred_at), usagekit.jsonb_sum(e.granted), coalesce(min(m.milestones::text)::jsonb, '{}')
          FROM usagekit.usage_events e
          LEFT JOIN jsonb_to_recordset(${JSON.stringify(reached)}::jsonb) AS m(user_id text, milestones jsonb)
            ON m.user_id = e.user_id
          WHERE e.month = ${month}::date
          GROUP BY e.user_id
          ON CONFLICT (user_id) DO UPDATE SET kept_from = greatest(r.kept_from, excluded.kept_from),
            ${c.eachFeature((f) => sql`${c.ledgerCol(f)} = r.${c.ledgerCol(f)} + excluded.${c.ledgerCol(f)}`)},
            first_active_at = least(r.first_active_at, excluded.first_active_at),
            first_conversation_at = least(r.first_conversation_at, excluded.first_conversation_at),
            last_active_at = greatest(r.last_active_at, excluded.last_active_at),
            granted = usagekit.jsonb_add(r.granted, excluded.granted),
            milestones = excluded.milestones || r.milestones, updated_at = now()`);
      // Recent keys, then past ones (a key being moved waits for the first, then is seen).
      for (const keys of ["usage_event_keys", "usage_event_keys_past"])
        await tx.execute(
          sql`DELETE FROM ${sql.raw(`usagekit.${keys}`)} WHERE month = ${month}::date`,
        );
      if (exists?.found) await tx.execute(sql.raw(`DROP TABLE usagekit.${partition}`));
      await tx.execute(sql`DELETE FROM usagekit.usage_events_default WHERE month = ${month}::date`);
      return { events: users.reduce((n, u) => n + u.events, 0), users: users.length };
    });
    dropped.push({ month: month.slice(0, 7), ...counts });
    log(
      `usagekit retention: dropped ${month.slice(0, 7)}: ${counts.events.toLocaleString("en-US")} events of ${counts.users.toLocaleString("en-US")} users`,
    );
  }
  return { keptFrom: keptFrom.slice(0, 7), dropped };
}

/** Whether retention dropped months: for how many learners, and the latest first month kept. */
export async function retainedSummary(db: Db): Promise<{ users: number; keptFrom: string } | null> {
  const [row] = await queryRows<{ users: number; keptFrom: string | null }>(
    db,
    sql`SELECT count(*)::int AS users, to_char(max(kept_from), 'YYYY-MM') AS "keptFrom"
      FROM usagekit.ledger_retained`,
  );
  return row?.keptFrom ? { users: row.users, keptFrom: row.keptFrom } : null;
}
