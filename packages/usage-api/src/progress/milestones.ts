import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import { getLifetimeStats } from "./lifetime";
import type { LifetimeStats } from "./lifetime";
import { dayRuns, instantOut } from "../calendar/local-month";
import type { Tiers } from "../limits/tiers";
import { columnsOf } from "../store/columns";
import type { Columns } from "../store/columns";

type Kind = "first" | "streak" | "hours" | "exports" | "phrases";

interface Milestone {
  id: string;
  title: string;
  kind: Kind;
  target: number;
}

const milestones: Milestone[] = [
  { id: "first-conversation", title: "First conversation", kind: "first", target: 1 },
  ...[3, 7, 30].map((n) => ({
    id: `streak-${n}`,
    title: `${n}-day streak`,
    kind: "streak" as const,
    target: n,
  })),
  ...[1, 10, 100].map((n) => ({
    id: `hours-${n}`,
    title: `${n} hour${n > 1 ? "s" : ""} practised`,
    kind: "hours" as const,
    target: n,
  })),
  ...[1, 10, 50].map((n) => ({
    id: `exports-${n}`,
    title: `${n} Anki export${n > 1 ? "s" : ""}`,
    kind: "exports" as const,
    target: n,
  })),
  ...[1, 10, 100].map((n) => ({
    id: `phrases-${n}`,
    title: `${n} custom phrase${n > 1 ? "s" : ""}`,
    kind: "phrases" as const,
    target: n,
  })),
];

/** Where each kind stands, from the lifetime stats (so milestones never disagree with them). */
const progressOf = ({ lifetimeField, role }: Columns, kind: Kind, s: LifetimeStats): number =>
  ({
    first: s.firstConversationAt ? 1 : 0,
    streak: s.longestStreak,
    hours: Math.floor(s[lifetimeField[role.practiceTime]] / 3600),
    exports: s[lifetimeField[role.export]],
    phrases: s[lifetimeField[role.phrase]],
  })[kind];

export interface Milestones {
  earned: { id: string; title: string; earnedAt: Date }[];
  next: { id: string; title: string; progress: number; target: number }[];
}

/**
 * When each earned milestone was reached, from the ledger: the event whose running total crossed
 * the target, or the first event on the day a streak reached its length. Months the retention
 * command dropped count by what it kept: their totals start the running totals, and the
 * milestones reached in them keep their instants.
 */
export async function earnedDates(
  db: Db,
  { roleCol }: Columns,
  userId: string,
): Promise<Record<string, Date | null>> {
  const id = sql`${userId}::text`;
  /** The total of a feature in the months retention dropped (a column of `ledger_retained`). */
  const kept = (column: SQL) =>
    sql`coalesce((SELECT ${column} FROM usagekit.ledger_retained WHERE user_id = ${id}), 0)`;
  const crossing = (column: string, id: string, target: number) =>
    sql`${instantOut(sql.raw(`min(occurred_at) FILTER (WHERE ${column} >= ${target})`))} AS ${sql.raw(`"${id}"`)}`;
  const runs = milestones.filter((m) => m.kind !== "first" && m.kind !== "streak");
  const column = { hours: "run_seconds", exports: "run_exports", phrases: "run_phrases" } as const;
  const target = (m: Milestone) => (m.kind === "hours" ? m.target * 3600 : m.target);
  const streaks = milestones.filter((m) => m.kind === "streak");
  const [row] = await queryRows<Record<string, Date | null> & { kept: Record<string, string> }>(
    db,
    sql`
    WITH e AS (
      SELECT occurred_at, ${roleCol("conversation")} AS conversations,
        ${kept(roleCol("practiceTime"))} + sum(${roleCol("practiceTime")}) OVER w AS run_seconds,
        ${kept(roleCol("export"))} + sum(${roleCol("export")}) OVER w AS run_exports,
        ${kept(roleCol("phrase"))} + sum(${roleCol("phrase")}) OVER w AS run_phrases
      FROM usagekit.usage_events WHERE user_id = ${id}
      WINDOW w AS (ORDER BY occurred_at, id)
    ), runs AS (${dayRuns(id)})
    SELECT coalesce((SELECT milestones FROM usagekit.ledger_retained WHERE user_id = ${id}), '{}') AS "kept",
      ${instantOut(sql`min(occurred_at) FILTER (WHERE conversations > 0)`)} AS "first-conversation",
      ${sql.join(
        runs.map((m) => crossing(column[m.kind as keyof typeof column], m.id, target(m))),
        sql`, `,
      )},
      ${sql.join(
        streaks.map(
          (m) =>
            sql`${instantOut(sql`(SELECT min(occurred_at) FROM usagekit.usage_events WHERE user_id = ${id} AND day =
            (SELECT min(first_day + ${m.target - 1}::int) FROM runs WHERE len >= ${m.target}::int))`)} AS ${sql.raw(`"${m.id}"`)}`,
        ),
        sql`, `,
      )}
    FROM e`,
  );
  if (!row) return {};
  const { kept: reached, ...dates } = row;
  const earned: Record<string, Date | null> = dates;
  for (const [milestone, at] of Object.entries(reached)) earned[milestone] = new Date(at);
  return earned;
}

/** Earned milestones with the date they were earned, and the next one of each kind. */
export async function getMilestones(
  db: Db,
  params: { userId: string; now: Date; tiers: Tiers },
): Promise<Milestones> {
  const c = columnsOf(params.tiers);
  const [stats, dates] = await Promise.all([
    getLifetimeStats(db, params),
    earnedDates(db, c, params.userId),
  ]);
  const earned: Milestones["earned"] = [];
  const next: Milestones["next"] = [];
  const nextKinds = new Set<Kind>();
  for (const m of milestones) {
    const progress = progressOf(c, m.kind, stats);
    const earnedAt = dates[m.id];
    // Earned once, kept: a correction lowers the totals and the progress to the next one only.
    if (earnedAt) earned.push({ id: m.id, title: m.title, earnedAt });
    else if (!nextKinds.has(m.kind)) {
      nextKinds.add(m.kind);
      next.push({
        id: m.id,
        title: m.title,
        progress: Math.min(progress, m.target),
        target: m.target,
      });
    }
  }
  earned.sort((a, b) => a.earnedAt.getTime() - b.earnedAt.getTime());
  return { earned, next };
}
