import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest, conflictError } from "../errors";
import { overageSql, softLimitSql } from "../limits/tier-sql";
import type { BillableFeature, Feature, Tiers } from "../limits/tiers";
import { columnsOf, snake } from "../store/columns";
import type { MonthlyUsage } from "../store/columns";
import { inTransaction } from "../store/savepoint";
import { readMonths } from "./batch-sql";
import { keyedEvent } from "./ledger-key";
import { amountsOf } from "./results";
import { withRetries } from "./retry";

type Amounts = Partial<Record<Feature, number>>;

/**
 * The correction as one statement: a ledger entry of the negated amounts in the month, day and
 * tier of the event it corrects (at its time, so reports of that month see it), carrying
 * `corrects_key` and `reason`; the month row (locked before) lowered by them, each billable
 * feature's overage recomputed as the ledger replay (`reconcile`) counts it — the correction is
 * the month's latest entry — never below what the month billed (units rollover or grants covered
 * were not billed: the difference is the entry's `covered`), and the lifetime totals lowered.
 * Days active and streaks are not touched.
 */
function correctionStatement(
  tiers: Tiers,
  p: {
    userId: string;
    key: string;
    correctsKey: string;
    reason: string;
    amounts: Record<Feature, number>;
  },
) {
  const c = columnsOf(tiers);
  const { eachFeature, ledgerCol, monthlyCol, lifetimeCol, overageCol, commaEachBillable } = c;
  const { billableFeatures } = c;
  const billed = (f: BillableFeature) => sql.raw(`billed_${snake(f)}`);
  const replayed = (f: BillableFeature) => sql.raw(`replayed_${snake(f)}`);
  const covered = billableFeatures.map(
    (f) => sql`jsonb_build_object(${f}::text, nullif(o.${replayed(f)} - o.${billed(f)}, 0))`,
  );
  return sql`
  WITH r AS (
    SELECT e.user_id, e.month, e.day, e.tier, e.occurred_at,
      ${eachFeature((f) => sql`${-p.amounts[f]}::int AS ${ledgerCol(f)}`)}
      ${commaEachBillable(
        (f) =>
          sql`${overageSql(softLimitSql(tiers, sql`e.tier`, f), sql`m.${monthlyCol(f)}`, sql`${-p.amounts[f]}::int`)} AS ${replayed(f)}, m.${overageCol(f)} AS ${sql.raw(`had_${snake(f)}`)}`,
      )}
    FROM ${keyedEvent(sql`${p.userId}::text`, sql`${p.correctsKey}::text`)}
    JOIN usagekit.monthly_usage m ON m.user_id = e.user_id AND m.month = e.month
    WHERE e.corrects_key IS NULL
  ), o AS (
    SELECT r.* ${commaEachBillable((f) => sql`greatest(r.${replayed(f)}, -r.${sql.raw(`had_${snake(f)}`)}) AS ${billed(f)}`)}
    FROM r
  ), claimed AS (
    INSERT INTO usagekit.usage_event_keys (user_id, idempotency_key, month)
    SELECT user_id, ${p.key}, month FROM o
  ), led AS (
    INSERT INTO usagekit.usage_events (user_id, idempotency_key, occurred_at, month, day, tier,
      ${eachFeature(ledgerCol)}, corrects_key, reason, covered)
    SELECT user_id, ${p.key}, occurred_at, month, day, tier, ${eachFeature((f) => sql`o.${ledgerCol(f)}`)},
      ${p.correctsKey}, ${p.reason},
      ${covered.length > 0 ? sql`nullif(jsonb_strip_nulls(${sql.join(covered, sql` || `)}), '{}'::jsonb)` : sql`NULL::jsonb`}
    FROM o
    RETURNING 1
  ), life AS (
    UPDATE usagekit.lifetime_stats l SET
      ${eachFeature((f) => sql`${lifetimeCol(f)} = l.${lifetimeCol(f)} + o.${ledgerCol(f)}`)},
      updated_at = now()
    FROM o WHERE l.user_id = o.user_id
    RETURNING 1
  )
  UPDATE usagekit.monthly_usage m SET
    ${eachFeature((f) => sql`${monthlyCol(f)} = m.${monthlyCol(f)} + o.${ledgerCol(f)}`)},
    completed_session_seconds = m.completed_session_seconds + ${c.sessionSecondsSql("o")}
    ${commaEachBillable((f) => sql`${overageCol(f)} = m.${overageCol(f)} + o.${billed(f)}`)},
    updated_at = now()
  FROM o WHERE m.user_id = o.user_id AND m.month = o.month`;
}

/**
 * Takes back usage recorded under `correctsKey` (a refund of a failed session, a mistaken
 * export): `amounts` are subtracted from that event's month as a negative ledger entry with
 * `reason`, so monthly = lifetime = Σ ledger still holds. What an event had can be corrected
 * once in all: a correction that would take it below zero is BAD_REQUEST naming the feature.
 * Idempotent by `idempotencyKey`. Answers the corrected month row.
 */
export async function correctUsage(
  db: Db,
  params: Amounts & {
    userId: string;
    idempotencyKey: string;
    correctsKey: string;
    reason: string;
    tiers: Tiers;
  },
): Promise<MonthlyUsage> {
  const { userId, idempotencyKey: key, correctsKey, reason, tiers } = params;
  const c = columnsOf(tiers);
  const amounts = amountsOf(params, c.features);
  const monthRow = async (tx: Db, month: string) => {
    const [row] = await queryRows<MonthlyUsage & { userId: string; monthDate: string }>(
      tx,
      readMonths(c, [{ userId, month }]),
    );
    return c.monthlyOf(row!);
  };
  return withRetries(() =>
    inTransaction(db, async (tx) => {
      // The corrected event, locked (its corrections are judged one after another), with what
      // is left of it after the corrections so far.
      const [left] = await queryRows<Record<Feature, number> & { month: string }>(
        tx,
        sql`SELECT to_char(e.month, 'YYYY-MM-DD') AS "month",
          ${c.eachFeature(
            (f) => sql`(e.${c.ledgerCol(f)} + coalesce((SELECT sum(k.${c.ledgerCol(f)})
            FROM usagekit.usage_events k WHERE k.user_id = e.user_id
            AND k.corrects_key = e.idempotency_key), 0))::int AS ${sql.raw(`"${f}"`)}`,
          )}
        FROM ${keyedEvent(sql`${userId}::text`, sql`${correctsKey}::text`)}
        WHERE e.corrects_key IS NULL
        FOR UPDATE OF e`,
      );
      if (!left)
        throw badRequest(`correctsKey: no event of ${userId} was recorded under ${correctsKey}`);
      const [seen] = await queryRows<Record<Feature, number> & { correctsKey: string | null }>(
        tx,
        sql`SELECT corrects_key AS "correctsKey",
          ${c.eachFeature((f) => sql`${c.ledgerCol(f)}::int AS ${sql.raw(`"${f}"`)}`)}
        FROM ${keyedEvent(sql`${userId}::text`, sql`${key}::text`)}`,
      );
      if (seen) {
        const same =
          seen.correctsKey === correctsKey && c.features.every((f) => seen[f] === -amounts[f]);
        if (!same) throw conflictError(key);
        return monthRow(tx, left.month);
      }
      const under = c.features.find((f) => amounts[f] > left[f]);
      if (under) {
        throw badRequest(
          `${under}: correcting ${amounts[under]} would take the event below zero (${left[under]} left of it)`,
        );
      }
      // The month row locked, so the statement's overage is worked out on its latest version.
      await tx.execute(sql`SELECT 1 FROM usagekit.monthly_usage
        WHERE user_id = ${userId}::text AND month = ${left.month}::date FOR UPDATE`);
      await tx.execute(correctionStatement(tiers, { userId, key, correctsKey, reason, amounts }));
      return monthRow(tx, left.month);
    }),
  );
}
