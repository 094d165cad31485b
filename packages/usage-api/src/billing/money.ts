import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Tiers } from "../limits/tiers";
import { coveredSql, overageSql, softLimitSql } from "../limits/tier-sql";
import { columnsOf } from "../store/columns";

/**
 * Money, computed in one place. Every figure of overage money — bills, `analytics.overage`,
 * recommendations — is a sum of the lines of `overageLines`: per user, billing month (the local
 * month of the monthly row), tier and billable feature, the overage units and their price,
 * `round(units × price / perUnits, 2)` in `numeric` (never a float).
 */

/**
 * Each event of the monthly rows in `scope` (a condition on the monthly row `m`) with the overage
 * units it caused per billable feature, replayed in ledger order within its own month at its
 * tier's soft limit exactly as the monthly row counted it — so the money always agrees with the
 * rows' overage counters (a correction, negative, takes its overage back). Only the rows with
 * overage are replayed; the months the retention command dropped add the units it kept.
 */
const overageEvents = (scope: SQL, tiers: Tiers) => {
  const { billableFeatures, featureColumns, overageColumn } = columnsOf(tiers);
  const perFeature = billableFeatures.map((f) => {
    const x = sql.raw(featureColumns[f].ledger);
    return sql`
    SELECT user_id, month, tier, ${f}::text AS feature,
      ${overageSql(sql`ev.soft`, sql`ev.run - ev.${x}`, sql`ev.${x}`)} - ${coveredSql("ev", f)} AS units
    FROM (
      SELECT e.*, ${softLimitSql(tiers, sql`e.tier`, f)} AS soft,
        sum(e.${x}) OVER (PARTITION BY e.user_id, e.month ORDER BY e.id) AS run
      FROM usagekit.monthly_usage m JOIN usagekit.usage_events e ON e.user_id = m.user_id AND e.month = m.month
      WHERE m.${sql.raw(overageColumn[f])} > 0 AND e.${x} <> 0 AND ${scope}
    ) ev`;
  });
  // The months the retention command dropped from the ledger: their overage units, kept.
  const retained = sql`
    SELECT r.user_id, r.month, r.tier, r.feature, r.units
    FROM usagekit.monthly_usage m JOIN usagekit.retained_overage r ON r.user_id = m.user_id AND r.month = m.month
    WHERE ${scope}`;
  return sql.join([...perFeature, retained], sql` UNION ALL `);
};

/**
 * The overage units of the monthly rows in `scope` per user, month, tier and billable feature,
 * replayed from the ledger: what the retention command keeps of a month it drops.
 */
export const overageUnits = (scope: SQL, tiers: Tiers) => sql`
  SELECT user_id, month, tier, feature, sum(units) AS units FROM (${overageEvents(scope, tiers)}) o
  GROUP BY user_id, month, tier, feature HAVING sum(units) <> 0`;

/** Each tier's overage price per billable feature as a constant table. */
const overagePrices = (tiers: Tiers): SQL => {
  const { billableFeatures, tierNames } = columnsOf(tiers);
  const rows = tierNames.flatMap((t) =>
    billableFeatures.map((f) => {
      const o = tiers[t][f].overage;
      return `('${t}', '${f}', ${o ? `${o.price}::numeric, ${o.perUnits}` : "0::numeric, 1"})`;
    }),
  );
  return sql.raw(
    rows.length > 0
      ? `(VALUES ${rows.join(", ")}) AS prices(tier, feature, price, per_units)`
      : `(SELECT NULL::text, NULL::text, 0::numeric, 1 WHERE false) AS prices(tier, feature, price, per_units)`,
  );
};

/**
 * The money lines of the monthly rows in `scope`: `(user_id, month, tier, feature, units,
 * amount)`, one per user, billing month, tier and billable feature with overage, `amount` the
 * units' price rounded to the cent. Sum `amount` for any total.
 */
export const overageLines = (scope: SQL, tiers: Tiers) =>
  pricedLines(overageEvents(scope, tiers), tiers);

/**
 * Overage units `(user_id, month, tier, feature, units)` priced at `tiers`' rates: one line per
 * user, month, tier and feature, rounded to the cent. The bills' lines, and the pricing lab's
 * under a draft catalog.
 */
export const pricedLines = (units: SQL, tiers: Tiers) => sql`
  SELECT o.user_id, o.month, o.tier, o.feature, sum(o.units) AS units,
    round(sum(o.units) * prices.price / prices.per_units, 2) AS amount
  FROM (${units}) o JOIN ${overagePrices(tiers)} USING (tier, feature)
  GROUP BY o.user_id, o.month, o.tier, o.feature, prices.price, prices.per_units
  HAVING sum(o.units) > 0`;

/** A decimal string ("9.99", at most two places) in integer cents. */
const centsOf = (a: string) => {
  const [whole, part = ""] = a.split(".");
  return BigInt(whole!) * 100n + BigInt((part + "00").slice(0, 2));
};

/** A sum of decimal strings ("9.99") as a decimal string with two places, in integer cents. */
export function sumMoney(amounts: string[]): string {
  const cents = amounts.reduce((sum, a) => sum + centsOf(a), 0n);
  return `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
}

/**
 * What a learner of each tier brings by moving one tier up, a month — the next tier's price less
 * their own (0 on the highest tier) — as a constant table `gains(tier, gain numeric)`.
 */
export const upgradeGains = (tiers: Tiers): SQL => {
  const { catalog, tierNames } = columnsOf(tiers);
  const rows = tierNames.map((t, i) => {
    const next = tierNames[i + 1];
    const cents = next
      ? centsOf(catalog.tiers[next]!.price) - centsOf(catalog.tiers[t]!.price)
      : 0n;
    return `('${t}', ${cents > 0n ? cents : 0n}::numeric / 100)`;
  });
  return sql.raw(`(VALUES ${rows.join(", ")}) AS gains(tier, gain)`);
};
