import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { dateText, instant, localDay } from "../calendar/local-month";
import { allowanceOf } from "../limits/allowance";
import type { Feature, TierName, Tiers } from "../limits/tiers";
import { readUserMonth } from "../limits/user-month";
import { columnsOf } from "../store/columns";

/** How far back the learner's habit (the share of days they practise) is read. */
export const HABIT_DAYS = 28;

export interface FeatureForecast {
  used: number;
  limit: number;
  /** Expected use at the end of the learner's local month, at their own pace. */
  projected: number;
  /** The local date (`YYYY-MM-DD`) that pace reaches the limit, or null if not this month. */
  reachesLimitOn: string | null;
}

export interface Forecast {
  month: string;
  features: Partial<Record<Feature, FeatureForecast>>;
}

/** What the forecast reads of the learner's days: today, the month's length, their activity. */
interface Days {
  today: string;
  dayOfMonth: number;
  daysInMonth: number;
  /** Active local days this month so far. */
  activeThisMonth: number;
  /** Active local days among the last HABIT_DAYS (today included), and how many of those days
   * the learner has existed for (from their first active day). */
  activeRecently: number;
  daysKnown: number;
}

/**
 * The pace of a learner, from their own days: what they use per active day this month, times the
 * share of days they practise (active days among the last 28, or since their first active day if
 * that is more recent) over the days left in the month. Pure, so planted histories test it.
 */
export function project(used: number, limit: number, days: Days, month: string): FeatureForecast {
  const perActiveDay = days.activeThisMonth > 0 ? used / days.activeThisMonth : 0;
  const share = days.daysKnown > 0 ? days.activeRecently / days.daysKnown : 0;
  const perDay = perActiveDay * share;
  const left = days.daysInMonth - days.dayOfMonth;
  const projected = Math.round(used + perDay * left);
  let reachesLimitOn: string | null = null;
  if (used >= limit) reachesLimitOn = days.today;
  else if (perDay > 0) {
    const day = days.dayOfMonth + Math.ceil((limit - used) / perDay);
    if (day <= days.daysInMonth) reachesLimitOn = `${month}-${String(day).padStart(2, "0")}`;
  }
  return { used, limit, projected, reachesLimitOn };
}

/** The day of the month of the date `day`, and how many days its month has. */
export const dayOfMonth = (day: SQL) => sql`extract(day FROM ${day})::int`;
export const daysInMonth = (day: SQL) =>
  sql`extract(day FROM (date_trunc('month', ${day}) + interval '1 month - 1 day'))::int`;

/**
 * `Days` (`today` as a date) for each `(user_id, today)` row of the query `pairs`, from their
 * active days in one join (the days of the month so far and of the last HABIT_DAYS) and one probe
 * for an earlier day: read by `getForecast` for one learner and by `analytics.upgradeCandidates`
 * for all.
 */
export const daysOf = (pairs: SQL) => sql`
  SELECT s.user_id, s.today, ${dayOfMonth(sql`s.today`)} AS "dayOfMonth",
    ${daysInMonth(sql`s.today`)} AS "daysInMonth",
    count(d.day) FILTER (WHERE d.day >= date_trunc('month', s.today))::int AS "activeThisMonth",
    count(d.day) FILTER (WHERE d.day > s.today - ${HABIT_DAYS}::int)::int AS "activeRecently",
    CASE WHEN EXISTS (SELECT 1 FROM usagekit.daily_activity e WHERE e.user_id = s.user_id
        AND e.day <= s.today - ${HABIT_DAYS}::int) THEN ${HABIT_DAYS}::int
      ELSE coalesce(s.today - min(d.day) + 1, 0) END AS "daysKnown"
  FROM (${pairs}) s LEFT JOIN usagekit.daily_activity d ON d.user_id = s.user_id AND d.day <= s.today
    AND d.day >= least(date_trunc('month', s.today)::date, s.today - ${HABIT_DAYS - 1}::int)
  GROUP BY s.user_id, s.today`;

/**
 * When the learner will run out, feature by feature: for each feature with a limit above 0 this
 * month (the tier's, rollover and grants), their use so far, the projected use at the end of
 * their local month at their own pace (`project`), and the local day it reaches the limit.
 */
export async function getForecast(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<Forecast> {
  const { month, features } = await forecastOf(db, params);
  return { month, features };
}

/** The forecast with the tier it was made at (what recommendations offer the way up from). */
export async function forecastOf(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<Forecast & { tier: TierName }> {
  const { features, monthlyField } = columnsOf(params.tiers);
  const m = await readUserMonth(db, params.userId, params.now, params.tiers);
  const today = localDay(instant(params.now), sql`${m.timezone}::text`);
  const [days] = await queryRows<Days>(
    db,
    sql`SELECT ${dateText(sql`d.today`)} AS "today", d."dayOfMonth", d."daysInMonth",
      d."activeThisMonth", d."activeRecently", d."daysKnown"
    FROM (${daysOf(sql`SELECT ${params.userId}::text AS user_id, ${today} AS today`)}) d`,
  );
  const forecast: Forecast["features"] = {};
  for (const f of features) {
    const { limit } = allowanceOf(params.tiers, m.tier, f, m.allowance, params.now);
    if (limit === null || limit === 0) continue;
    const used = m.usage?.[monthlyField[f]] ?? 0;
    forecast[f] = project(used, limit, days!, m.month);
  }
  return { month: m.month, tier: m.tier, features: forecast };
}
