import { createHash } from "node:crypto";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { forecastsSql } from "../analytics/runs-out";
import { utcYearMonth } from "../calendar/window";
import type { Tiers } from "../limits/tiers";

/** The catalog's digest: kept forecasts are made for one catalog. */
export const catalogDigest = (tiers: Tiers) =>
  createHash("sha256").update(JSON.stringify(tiers)).digest("hex");

/** The UTC month of `now` as the date of its first day (what `rollup_months` keys by). */
export const utcMonthDate = (now: Date) => `${utcYearMonth(now)}-01`;

/**
 * The tier the report ranks a kept row's learner at: their plan in `rollup_months` for the UTC
 * month `month` (its first day), or their tier.
 */
export const planTierSql = (row: string, month: string) =>
  sql`coalesce((SELECT r.tier FROM usagekit.rollup_months r WHERE r.user_id = ${sql.raw(row)}.user_id
    AND r.month = ${month}::date), ${sql.raw(row)}.tier)`;

/**
 * The kept forecasts' rows of `users` at `now` (`forecastsSql`'s learners whose pace reaches a
 * limit), each with its plan for the UTC month of `now` (`planTierSql`).
 */
export const keptRowsSql = (tiers: Tiers, now: Date, users: SQL) => sql`
  SELECT f.user_id, f.feature, f.tier, ${planTierSql("f", utcMonthDate(now))} AS plan_tier,
    f.used, f."limit", f.projected, f.reaches
  FROM (${forecastsSql(tiers, now, users)}) f WHERE f.reaches IS NOT NULL`;

/** The kept forecasts' columns, in their order. */
export const keptColumns = sql`(user_id, feature, tier, plan_tier, used, "limit", projected, reaches)`;

/** No statement timeout, and not compiled: JIT took 2 s of a zone's every learner, and a fifth
 * of a few thousand learners' refresh. */
export async function untimed(tx: Db) {
  await tx.execute(sql`SET LOCAL statement_timeout = 0`);
  await tx.execute(sql`SET LOCAL jit = off`);
}

/** Zone names as a SQL text array. */
export const zoneArray = (zones: string[]) =>
  sql`ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(zones)}::jsonb))`;

/** The ids of the learners now in `zones` (a `zoneArray`), as a subquery. */
export const learnersIn = (zones: SQL) =>
  sql`(SELECT id FROM usagekit.users WHERE timezone = ANY(${zones}))`;
