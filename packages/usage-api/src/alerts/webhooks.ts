import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { defaultTiers } from "../limits/tiers";
import type { Tiers } from "../limits/tiers";
import { alertSelect, withForecast } from "./list";
import type { Alert, StoredAlert } from "./list";
import { signWebhook } from "./signature";

export interface WebhookOptions {
  url: string;
  secret: string;
  /** The clock (tests fix it). */
  now?: () => Date;
  /** How long one POST may take. */
  timeoutMs?: number;
  /** At most this many alerts per round. */
  batch?: number;
  /** The catalog's tiers, for each alert's forecast (`runsOutOn`); the default catalog's. */
  tiers?: Tiers;
}

/** How long alerts are retried, and the longest wait between two attempts. */
const RETRY_FOR_MS = 24 * 3600 * 1000;
const MAX_WAIT_MS = 3600 * 1000;
/** The wait after the n-th failed attempt: 10 s, 20 s, 40 s, … at most an hour. */
export const backoffMs = (attempts: number) => Math.min(MAX_WAIT_MS, 10_000 * 2 ** (attempts - 1));

/**
 * The JSON body of an alert's webhook: the alert, with its stable `id` for deduplication and
 * where the learner's pace takes the feature this month when it is sent (`runsOutOn`).
 */
export const webhookBody = (a: Alert) =>
  JSON.stringify({ type: "usage.alert", ...a, createdAt: a.createdAt.toISOString() });

async function post(alert: Alert, options: WebhookOptions, now: Date): Promise<string | null> {
  const body = webhookBody(alert);
  try {
    const response = await fetch(options.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "usagekit-signature": signWebhook(body, options.secret, Math.floor(now.getTime() / 1000)),
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 200) : String(error);
  }
}

/**
 * One round of delivery: the alerts due (undelivered, their next attempt now or before, raised
 * less than 24 hours ago) are claimed in a short transaction — locked so that another process
 * skips them (`FOR UPDATE SKIP LOCKED`), and leased past this round — then POSTed signed, at
 * once, outside any transaction; a 2xx marks one delivered, anything else schedules its next
 * attempt with exponential backoff. The state is in the database: a restart resumes where it
 * stopped (a claim of a process that died runs out). At least once: a receiver deduplicates by
 * the alert's `id`. Answers how many were attempted.
 */
export async function deliverDueWebhooks(db: Db, options: WebhookOptions): Promise<number> {
  const now = (options.now ?? (() => new Date()))();
  const at = sql`${now.toISOString()}::timestamptz`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const due = await db.transaction(async (tx) => {
    const rows = await queryRows<StoredAlert & { attempts: number }>(
      tx as unknown as Db,
      sql`SELECT ${alertSelect}, a.attempts AS "attempts" FROM usagekit.alerts a
        WHERE a.delivered_at IS NULL
          -- The clock is in milliseconds; an alert raised within this one is due too.
          AND date_trunc('milliseconds', a.next_attempt_at) <= ${at}
          AND a.created_at > ${at} - make_interval(secs => ${RETRY_FOR_MS / 1000})
        ORDER BY a.next_attempt_at, a.id LIMIT ${options.batch ?? 20}
        FOR UPDATE SKIP LOCKED`,
    );
    if (rows.length > 0)
      await tx.execute(sql`UPDATE usagekit.alerts
        SET next_attempt_at = ${at} + make_interval(secs => ${(timeoutMs * 2 + 60_000) / 1000})
        WHERE (user_id, id) IN (${sql.join(
          rows.map((a) => sql`(${a.userId}::text, ${a.id}::bigint)`),
          sql`, `,
        )})`);
    return rows;
  });
  // Each user's alerts with their forecast, read once per user, then each POSTed on its own.
  const byUser = new Map<string, StoredAlert[]>();
  for (const { attempts: _attempts, ...alert } of due)
    byUser.set(alert.userId, [...(byUser.get(alert.userId) ?? []), alert]);
  const tiers = options.tiers ?? defaultTiers;
  const alerts = await Promise.all(
    [...byUser].map(([userId, mine]) => withForecast(db, { userId, now, tiers }, mine)),
  );
  const tried = new Map(due.map((a) => [a.id, a.attempts]));
  await Promise.all(
    alerts.flat().map(async (alert) => {
      const failure = await post(alert, { ...options, timeoutMs }, now);
      const attempts = tried.get(alert.id)! + 1;
      await db.execute(
        failure === null
          ? sql`UPDATE usagekit.alerts SET delivered_at = ${at}, attempts = ${attempts}, last_error = NULL
              WHERE user_id = ${alert.userId} AND id = ${alert.id}`
          : sql`UPDATE usagekit.alerts SET attempts = ${attempts}, last_error = ${failure},
              next_attempt_at = ${at} + make_interval(secs => ${backoffMs(attempts) / 1000})
              WHERE user_id = ${alert.userId} AND id = ${alert.id}`,
      );
    }),
  );
  return due.length;
}

/**
 * Delivers alerts as webhooks every `everyMs` until stopped; `stop()` waits for the round in
 * flight. A failed round (the database away) is logged and tried again.
 */
export function startWebhookDelivery(
  db: Db,
  options: WebhookOptions & { everyMs?: number; log?: (line: string) => void },
) {
  let stopped = false;
  let round: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    round = deliverDueWebhooks(db, options)
      .catch((error: unknown) =>
        (options.log ?? console.error)(`usagekit: webhook delivery failed: ${String(error)}`),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.everyMs ?? 1000);
      });
  };
  let timer = setTimeout(tick, 0);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await round;
    },
  };
}
