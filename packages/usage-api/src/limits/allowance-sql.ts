import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { columnsOf } from "../store/columns";
import type { AllowanceContext } from "./allowance";
import type { Feature, Tiers } from "./tiers";

/** The tiers that roll something over, the features they roll, and the most months looked back. */
function rolloverOf(tiers: Tiers) {
  const rules = Object.entries(tiers).flatMap(([tier, config]) =>
    Object.entries(config).flatMap(([f, l]) =>
      l.rollover ? [{ tier, feature: f as Feature, months: l.rollover.months }] : [],
    ),
  );
  return {
    tiers: [...new Set(rules.map((r) => r.tier))],
    features: [...new Set(rules.map((r) => r.feature))],
    months: Math.max(0, ...rules.map((r) => r.months)),
  };
}

/**
 * What `allowanceOf` needs of user `user` in the month starting on date `month`, as the columns
 * `grants`, `past` and `since` of an AllowanceContext (`spent` is the month row's `granted`): the
 * grants with something left (by the index of those), the months rollover looks back at (none
 * read when no tier rolls over), and the user's first local month with usage.
 */
export function allowanceColumns(tiers: Tiers, user: SQL, month: SQL): SQL {
  const { monthlyCol } = columnsOf(tiers);
  const rollover = rolloverOf(tiers);
  const past =
    rollover.months === 0
      ? sql`'[]'::jsonb`
      : sql`(SELECT coalesce(jsonb_agg(jsonb_build_object('month', to_char(pm.month, 'YYYY-MM'),
          'tier', pm.tier_when_used, 'used', jsonb_build_object(${sql.join(
            rollover.features.map((f) => sql`${f}::text, pm.${monthlyCol(f)}`),
            sql`, `,
          )}))), '[]'::jsonb)
        FROM usagekit.monthly_usage pm WHERE pm.user_id = ${user}
          AND pm.month >= (${month} - ${sql.raw(`interval '${rollover.months} months'`)})::date
          AND pm.month < ${month})`;
  return sql`(SELECT coalesce(jsonb_agg(jsonb_build_object('id', g.id, 'feature', g.feature,
      'remaining', g.remaining, 'expiresAt', g.expires_at, 'createdAt', g.created_at)), '[]'::jsonb)
    FROM usagekit.grants g WHERE g.user_id = ${user} AND g.remaining > 0) AS "grants",
    ${past} AS "past",
    (SELECT to_char(min(f.month), 'YYYY-MM') FROM usagekit.monthly_usage f
      WHERE f.user_id = ${user}) AS "since"`;
}

/**
 * The allowance contexts of (user, month) pairs (`month` a `YYYY-MM-DD` first day), for writers
 * that already hold the users' locks (planned batches, reservations).
 */
export const readAllowances = (db: Db, tiers: Tiers, months: { userId: string; month: string }[]) =>
  queryRows<AllowanceContext & { userId: string; monthDate: string }>(
    db,
    sql`SELECT q."userId" AS "userId", q.month::text AS "monthDate", to_char(q.month, 'YYYY-MM') AS "month",
      coalesce(m.granted, '{}'::jsonb) AS "spent",
      ${allowanceColumns(tiers, sql`q."userId"`, sql`q.month`)}
    FROM jsonb_to_recordset(${JSON.stringify(months)}::jsonb) AS q("userId" text, month date)
    LEFT JOIN usagekit.monthly_usage m ON m.user_id = q."userId" AND m.month = q.month`,
  );

/**
 * Whether an event of user `user` at `tier` in the month starting on `month` needs more than the
 * tier's limits (`fitsSql`, `overageSql`): the user has a grant that counts at `now`, the tier
 * rolls something over, or the month already took from grants. Such an event is planned under
 * the user's lock with the whole allowance (record/plan-allowance.ts); every other one is
 * recorded by one statement.
 */
export function needsAllowanceSql(tiers: Tiers, user: SQL, tier: SQL, month: SQL, now: SQL): SQL {
  const rolling = rolloverOf(tiers).tiers;
  return sql`(${rolling.length > 0 ? sql`${tier} IN (${sql.raw(rolling.map((t) => `'${t}'`).join(", "))}) OR` : sql``}
    EXISTS (SELECT 1 FROM usagekit.grants g WHERE g.user_id = ${user} AND g.remaining > 0
      AND (g.expires_at IS NULL OR g.expires_at > ${now}))
    OR EXISTS (SELECT 1 FROM usagekit.monthly_usage n WHERE n.user_id = ${user} AND n.month = ${month}
      AND n.granted <> '{}'::jsonb))`;
}
