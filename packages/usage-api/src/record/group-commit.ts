import type { Db } from "@usagekit/db";
import { tiersKey } from "../limits/tiers";
import type { Tiers } from "../limits/tiers";
import { recordValidEvents } from "./batch";
import type { BatchResult, ValidEvent } from "./results";
import { statementFailedCleanly } from "./retry";

/**
 * Group commit for single unenforced events (enforced ones, and calls inside a host's
 * transaction, never come here). Per database handle (and tier table, by content) at most `IN_FLIGHT`
 * statements of single events run at once; a call that arrives while they run waits, and when
 * one finishes, the waiting events — one per user — are written together by the batch statement.
 * Under load many callers share one statement and one commit; a lone caller still runs its own
 * one-event statement at once. Each caller is answered after the commit that holds its event,
 * with its own result (recorded, duplicate, invalid): the same rules as one by one, in arrival
 * order per user.
 */
const IN_FLIGHT = 2;
/** The most events one grouped statement takes (the rest wait for the next). */
const MAX_GROUP = 500;

interface Waiting<R> {
  event: Omit<ValidEvent, "i">;
  alone: () => Promise<R>;
  resolve: (result: R | BatchResult) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  db: Db;
  tiers: Tiers;
  running: number;
  waiting: Waiting<unknown>[];
}

const lanes = new WeakMap<Db, Map<string, Lane>>();

/** The lane of `db` and a tier table: by its content, so a context built per request shares it. */
function laneOf(db: Db, tiers: Tiers): Lane {
  let byTiers = lanes.get(db);
  if (!byTiers) lanes.set(db, (byTiers = new Map()));
  const key = tiersKey(tiers);
  let lane = byTiers.get(key);
  if (!lane) byTiers.set(key, (lane = { db, tiers, running: 0, waiting: [] }));
  return lane;
}

/** Answers a waiting event by its own statement. */
const runAlone = (w: Waiting<unknown>) => w.alone().then(w.resolve, w.reject);

async function run<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
  lane.running++;
  try {
    return await work();
  } finally {
    lane.running--;
    drain(lane);
  }
}

/**
 * The next group: waiting events in arrival order, one per user — a user's next event waits for
 * the next group, so every answer is its month row right after its own event, as alone.
 */
function takeGroup(lane: Lane): Waiting<unknown>[] {
  const users = new Set<string>();
  const group: Waiting<unknown>[] = [];
  const rest: Waiting<unknown>[] = [];
  for (const w of lane.waiting) {
    const userId = w.event.event.userId;
    if (group.length < MAX_GROUP && !users.has(userId)) {
      users.add(userId);
      group.push(w);
    } else rest.push(w);
  }
  lane.waiting = rest;
  return group;
}

/** Starts statements for what waits, while fewer than `IN_FLIGHT` run. */
function drain(lane: Lane) {
  while (lane.running < IN_FLIGHT && lane.waiting.length > 0) {
    const group = takeGroup(lane);
    void run(lane, () => commitGroup(lane, group));
  }
}

/**
 * Writes a group by one batch statement; each waiting event gets its own result. When the
 * statement failed with an error of its own (the server rolled it back: a host's trigger refusing
 * one event, say), each event runs alone, one after another, so that the error reaches only its
 * own caller. When it may have committed — the connection died, the session was terminated, the
 * answer was lost — nothing is run again (an event without a key would count twice): every
 * caller gets the error, and a caller with a key may retry it safely.
 */
async function commitGroup(lane: Lane, group: Waiting<unknown>[]) {
  if (group.length === 1) return runAlone(group[0]!);
  const progress = { written: false };
  try {
    const valid = group.map((w, i) => ({ ...w.event, i }));
    const results = await recordValidEvents(lane.db, valid, lane.tiers, { progress });
    group.forEach((w, i) => w.resolve(results.get(i)!));
  } catch (error) {
    if (progress.written || !statementFailedCleanly(error)) for (const w of group) w.reject(error);
    else for (const w of group) await runAlone(w);
  }
}

/**
 * Records `event` through the group commit: by `alone()` (its own statement) when nothing else
 * waits, otherwise in a group, answering the event's `BatchResult`.
 */
export function recordInGroup<R>(
  db: Db,
  tiers: Tiers,
  event: Omit<ValidEvent, "i">,
  alone: () => Promise<R>,
): Promise<R | BatchResult> {
  const lane = laneOf(db, tiers);
  if (lane.running < IN_FLIGHT && lane.waiting.length === 0) return run(lane, alone);
  return new Promise((resolve, reject) => {
    lane.waiting.push({ event, alone, resolve, reject } as Waiting<unknown>);
  });
}
