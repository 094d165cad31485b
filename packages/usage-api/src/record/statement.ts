import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { BillableFeature, Feature, Tiers } from "../limits/tiers";
import { columnsOf, snake } from "../store/columns";
import type { Columns } from "../store/columns";
import { claimed, claimKeys } from "./ledger-key";
import { rowsSql } from "./rows-sql";
import { fitsSql } from "../limits/fits-sql";
import { heldSql } from "../limits/holds-sql";
import { raiseAlerts } from "../alerts/raise-sql";
import { needsAllowanceSql } from "../limits/allowance-sql";
import { hardLimitSql, overageSql, softLimitSql } from "../limits/tier-sql";
import { localDay, localMonth, monthEnd, monthStart, windowStart } from "../calendar/local-month";

const raw = sql.raw;

const limCol = (f: Feature) => raw(`lim_${snake(f)}`);
const softCol = (f: BillableFeature) => raw(`soft_${snake(f)}`);

/**
 * True when event `ev` fits on top of `used(f)`; otherwise the statement aborts through
 * `usagekit.limit_exceeded(detail)` naming the first feature that does not fit, with its usage
 * (`reported`, by default what it was checked against) (SQLSTATE UK001). CASE keeps the order:
 * nothing raises for a fitting event.
 */
const fitsOrAbort = (
  { features, ledgerCol }: Columns,
  ev: string,
  used: (f: Feature) => SQL,
  reported = used,
) => {
  const e = raw(ev);
  const refusals = features.map((f) => {
    const [amount, limit] = [sql`${e}.${ledgerCol(f)}`, sql`${e}.${limCol(f)}`];
    return sql`WHEN NOT ${fitsSql(used(f), amount, limit)}
      THEN usagekit.limit_exceeded(jsonb_build_object('feature', ${f}::text, 'tier', ${e}.tier,
        'used', ${reported(f)}, 'limit', ${limit}, 'requested', ${amount}))`;
  });
  return sql`(CASE ${sql.join(refusals, sql` `)} ELSE true END)`;
};

/** The values the statement binds, by placeholder name. */
export const recordValues = (p: {
  userId: string;
  idempotencyKey: string | null;
  occurredAt: Date;
  now: Date;
  amounts: Record<Feature, number>;
}): Record<string, unknown> => ({
  ...p.amounts,
  userId: p.userId,
  idempotencyKey: p.idempotencyKey,
  occurredAt: p.occurredAt.toISOString(),
  now: p.now.toISOString(),
});

const $ = (name: string) => sql.placeholder(name);

/**
 * One statement that records one event: the ledger row (idempotent on the key), the monthly row
 * (with the limit check on the row's latest version when enforcing), the day, the lifetime row
 * and — for a user never seen — the user row (free, UTC). It writes nothing when the event is
 * outside the window or the key was already used. The enforcing variant checks the hard limits
 * (on `used + held`: the user's active holds count) first against the event alone and then, in
 * the monthly upsert, against the row's latest version; a refusal aborts the whole statement through `usagekit.limit_exceeded(detail)`
 * (SQLSTATE UK001), so nothing of the event stays, and the error names what refused it. The
 * tier table and the variant are part of the text: each is prepared once. An event that needs
 * more than the tier's limits (grants, rollover: `needsAllowanceSql`) writes nothing here
 * ("needsPlan") and is planned under the user's lock (batch-plan.ts).
 */
export function recordStatement(tiers: Tiers, enforce: boolean, newUser = false): SQL {
  const c = columnsOf(tiers);
  const { commaEachBillable, eachFeature, ledgerCol, lifetimeCol, monthlyCol, monthlySelect } = c;
  const { overageCol, roleCol, sessionLengthSql, sessionSecondsSql } = c;
  const { addToLifetime, addToMonth } = rowsSql(tiers);
  const amounts = eachFeature((f) => sql`${$(f)}::int AS ${ledgerCol(f)}`);
  const okCols = eachFeature((f) => sql`ok.${ledgerCol(f)}`);
  const tier = sql`coalesce(u.tier, ${c.defaultTierSql})`;
  const tz = sql`coalesce(u.timezone, 'UTC')`;
  // Enforcing, the user's holds count, read from its row locked in its latest version: shared
  // (enforced writes of a user do not wait for each other; a reservation, which updates the row,
  // waits for them and they for it). A user this statement does not see yet writes nothing here
  // ("newUser") and runs the `newUser` variant, where `nu` makes it — or, made meanwhile by a
  // reservation, locks it in its latest version by ON CONFLICT.
  const user = !enforce
    ? sql`LEFT JOIN usagekit.users u ON u.id = a.user_id`
    : sql`LEFT JOIN LATERAL (SELECT * FROM (SELECT * FROM usagekit.users WHERE id = a.user_id
        FOR SHARE) s ${newUser ? sql`UNION ALL SELECT * FROM nu` : sql``}) u ON true`;
  const makeUser = sql`, nu AS (
    INSERT INTO usagekit.users AS x (id) SELECT a.user_id FROM a
    WHERE NOT EXISTS (SELECT 1 FROM usagekit.users WHERE id = a.user_id)
      AND a.occurred_at >= ${windowStart(sql`a.now`, sql`'UTC'`)}
    ON CONFLICT (id) DO UPDATE SET id = x.id
    RETURNING x.*
  )`;
  // What the user's holds keep of each feature, worked out once per event (`held_<feature>`).
  const held = (row: string, f: Feature) => sql.raw(`${row}.held_${snake(f)}`);
  const heldCols = eachFeature(
    (f) =>
      sql`${heldSql(sql`coalesce(u.holds, '[]'::jsonb)`, f, sql`a.now`)} AS ${sql.raw(`held_${snake(f)}`)}`,
  );
  return sql`
  WITH a AS (
    SELECT ${$("userId")}::text AS user_id, ${$("idempotencyKey")}::text AS idempotency_key,
      ${$("occurredAt")}::timestamptz AS occurred_at, ${$("now")}::timestamptz AS now,
      ${amounts}
  )${enforce && newUser ? makeUser : sql``}, ev AS (
    SELECT a.*, ${tier} AS tier, coalesce(u.timezone, 'UTC') AS tz, u.id IS NULL AS new_user,
      ${needsAllowanceSql(tiers, sql`a.user_id`, tier, localMonth(sql`a.occurred_at`, tz), sql`a.now`)} AS needs_plan
      ${enforce ? sql`, ${heldCols}` : sql``}
      ${commaEachBillable((f) => sql`${softLimitSql(tiers, tier, f)} AS ${softCol(f)}`)},
      ${enforce ? sql`${eachFeature((f) => sql`${hardLimitSql(tiers, tier, f)} AS ${limCol(f)}`)},` : sql``}
      ${localMonth(sql`a.occurred_at`, tz)} AS local_month, ${localDay(sql`a.occurred_at`, tz)} AS day,
      a.occurred_at >= ${windowStart(sql`a.now`, tz)} AS in_window
    FROM a ${user}
  ), ok AS (
    SELECT ev.* FROM ev ${
      enforce
        ? sql`LEFT JOIN usagekit.monthly_usage cur ON cur.user_id = ev.user_id AND cur.month = ev.local_month
      WHERE CASE WHEN NOT ev.in_window OR ev.new_user OR ev.needs_plan THEN false
        ELSE ${fitsOrAbort(
          c,
          "ev",
          (f) => held("ev", f),
          (f) => sql`coalesce(cur.${monthlyCol(f)}, 0) + ${held("ev", f)}`,
        )} END`
        : sql`WHERE ev.in_window AND NOT ev.needs_plan`
    }
  ), claimed AS (
    ${claimKeys({ from: sql`ok`, userId: sql`user_id`, key: sql`idempotency_key`, month: sql`local_month`, where: sql`true` })}
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledgerCol)})
    SELECT user_id, idempotency_key, occurred_at, local_month, day, tier, ${okCols} FROM ok
    WHERE ${claimed(sql`ok.user_id`, sql`ok.idempotency_key`)}
    RETURNING user_id
  ), usr AS (
    INSERT INTO usagekit.users (id) SELECT led.user_id FROM led, ev WHERE ev.new_user
    ON CONFLICT (id) DO NOTHING
  ), mon AS (
    INSERT INTO usagekit.monthly_usage AS m (user_id, month, period_start, period_end, ${eachFeature(monthlyCol)},
      completed_session_seconds, longest_session ${commaEachBillable(overageCol)}, tier_when_used, last_event_at,
      last_conversation_at, last_realtime_at)
    SELECT ok.user_id, ok.local_month, ${monthStart(sql`ok.local_month`, sql`ok.tz`)},
      ${monthEnd(sql`ok.local_month`, sql`ok.tz`)}, ${okCols},
      ${sessionSecondsSql("ok")}, ${sessionLengthSql("ok")}
      ${commaEachBillable((f) => overageSql(sql`ok.${softCol(f)}`, sql`0`, sql`ok.${ledgerCol(f)}`))},
      ok.tier, ok.occurred_at,
      CASE WHEN ${roleCol("conversation", "ok")} > 0 THEN ok.occurred_at END,
      CASE WHEN ${roleCol("realtimeSession", "ok")} > 0 THEN ok.occurred_at END
    FROM ok JOIN led USING (user_id)
    ON CONFLICT (user_id, month) DO UPDATE SET
      ${addToMonth((f) => sql`(SELECT ${overageSql(sql`ok.${softCol(f)}`, sql`m.${monthlyCol(f)}`, sql`excluded.${monthlyCol(f)}`)} FROM ok)`)}
    ${enforce ? sql`WHERE (SELECT ${fitsOrAbort(c, "ok", (f) => sql`m.${monthlyCol(f)} + ${held("ok", f)}`)} FROM ok)` : sql``}
    RETURNING ${monthlySelect("m")}
  ), alerted AS (
    ${raiseAlerts(tiers, {
      from: sql`mon, ok`,
      userId: sql`ok.user_id`,
      month: sql`ok.local_month`,
      tier: sql`ok.tier`,
      used: (f) => sql.raw(`mon."${c.monthlyField[f]}"`),
    })}
  ), daily AS (
    INSERT INTO usagekit.daily_activity AS d (user_id, day, events)
    SELECT ok.user_id, ok.day, 1 FROM ok JOIN led USING (user_id)
    ON CONFLICT (user_id, day) DO UPDATE SET events = d.events + 1
    RETURNING (xmax = 0) AS new_day
  ), life AS (
    INSERT INTO usagekit.lifetime_stats AS l (user_id, ${eachFeature(lifetimeCol)}, days_active,
      first_active_at, first_conversation_at, last_active_at)
    SELECT ok.user_id, ${okCols}, (SELECT count(*) FROM daily WHERE new_day)::int,
      ok.occurred_at, CASE WHEN ${roleCol("conversation", "ok")} > 0 THEN ok.occurred_at END, ok.occurred_at
    FROM ok JOIN led USING (user_id)
    ON CONFLICT (user_id) DO UPDATE SET
      ${addToLifetime}
    RETURNING 1
  )
  SELECT coalesce((SELECT in_window FROM ev), true) AS "inWindow",
    coalesce((SELECT new_user FROM ev), false) AS "newUser",
    coalesce((SELECT needs_plan FROM ev), false) AS "needsPlan",
    (SELECT count(*) FROM led)::int AS "inserted", mon.*
  FROM (SELECT 1) AS one LEFT JOIN mon ON true`;
}
