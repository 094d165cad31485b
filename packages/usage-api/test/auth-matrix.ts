/**
 * The authorization matrix of the contract, as data: every procedure × every kind of caller, and
 * the status each cell must answer. Used over HTTP by the standalone server's suite and by the
 * demo's (test-only module; no package exports it).
 *
 * A cell is not only its status. An allowed read by an end user or an analyst must answer exactly
 * what the service answers for the same user and input (the service is the reference; read right
 * after, with no write in between, so no field needs normalising — timestamps included); an allowed
 * write must show in the service's own reads of the user afterwards (lifetime, this month, bills);
 * a refused cell must leave those reads — and the row counts, where the suite can see the
 * database — as they were.
 */
import { expect } from "vitest";

export type Caller =
  "anonymous" | "self" | "other" | "analyst" | "service" | "wrongToken" | "badCookie";

export const callers: Caller[] = [
  "anonymous",
  "self",
  "other",
  "analyst",
  "service",
  "wrongToken",
  "badCookie",
];

type Access = "read" | "userWrite" | "serviceOnly" | "analytics";
type Data = Record<string, unknown>;

/** What the service's own reads show of one user: the independent path a write is checked by. */
export interface UserState {
  lifetime: Data;
  current: Data;
  billing: Data[];
  history: Data[];
}

/** What a check compared: `actual` must deep-equal `expected`. */
export interface Check {
  what: string;
  actual: unknown;
  expected: unknown;
}

interface Procedure {
  path: string;
  method: "GET" | "POST";
  access: Access;
  /**
   * The input for a call acting on `userId` (undefined: "me"); `state` is the service's view of the
   * user the call names, read just before (a write's input may depend on it, so that the write
   * changes something: a plan change to the tier the user is already on would prove nothing).
   */
  input: (userId: string | undefined, n: number, state?: UserState) => Data;
  /** What an allowed answer must show (its shape). */
  check: (data: Data) => boolean;
  /**
   * A write: what the service's reads of the user must show after an allowed call, given what they
   * showed before — `actual` and `expected` of each check.
   */
  wrote?: (before: UserState, after: UserState, input: Data, answer: Data) => Check[];
  /**
   * A read whose reference answer must carry data, so that comparing with it proves something
   * (an empty history equals an empty history whatever the procedure does).
   */
  nonTrivial?: (reference: unknown) => boolean;
  /** For a batch: a 200 whose every item was refused as invalid (bad items are per-item). */
  allInvalid?: (data: Data) => boolean;
}

const month = "2026-11";
const has = (key: string) => (d: Data) => key in d;
const num = (v: unknown) => Number(v ?? 0);
const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);

/** One conversation more in the user's lifetime and this month, and the write's own answer agrees. */
const oneConversation = (before: UserState, after: UserState): Check[] => [
  {
    what: "service reads after the write: lifetime and this month's conversations",
    actual: {
      totalConversations: num(after.lifetime.totalConversations),
      monthConversations: num(after.current.conversations),
    },
    expected: {
      totalConversations: num(before.lifetime.totalConversations) + 1,
      monthConversations: num(before.current.conversations) + 1,
    },
  },
];

export const procedures: Procedure[] = [
  {
    path: "usage.recordUsage",
    method: "POST",
    access: "userWrite",
    input: (userId, n) => ({ userId, conversations: 1, idempotencyKey: `matrix-${n}` }),
    check: (d) => d.recorded === true,
    wrote: (before, after, _input, answer) => [
      ...oneConversation(before, after),
      {
        what: "the answer's month row is the service's current month after the write",
        actual: (answer.usage as Data | undefined)?.conversations,
        expected: after.current.conversations,
      },
    ],
  },
  {
    path: "usage.canUseFeature",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId, feature: "conversations" }),
    check: has("allowed"),
  },
  {
    path: "usage.getLifetimeStats",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: has("totalSeconds"),
    nonTrivial: (d) => num((d as Data).totalConversations) > 0,
  },
  {
    path: "usage.getCurrentUsage",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: has("features"),
  },
  {
    path: "usage.getUsageHistory",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: (d) => Array.isArray(d),
    nonTrivial: (d) => Array.isArray(d) && d.length > 0,
  },
  {
    path: "usage.getBillingHistory",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: (d) => Array.isArray(d),
    nonTrivial: (d) => Array.isArray(d) && d.length > 0,
  },
  {
    path: "usage.getMilestones",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: has("earned"),
  },
  {
    path: "usage.getRecommendations",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: (d) => Array.isArray(d),
  },
  {
    path: "usage.setUserPlan",
    method: "POST",
    access: "serviceOnly",
    // Always a change: to plus, or to pro for a user already on plus.
    input: (userId, _n, state) => ({
      userId: userId ?? "self",
      tier: state?.current.tier === "plus" ? "pro" : "plus",
    }),
    check: (d) => d.tier === "plus" || d.tier === "pro",
    wrote: (before, after, input) => [
      {
        what: "service reads after the plan change: the tier (it was another one before)",
        actual: { tierBefore: before.current.tier !== input.tier, tier: after.current.tier },
        expected: { tierBefore: true, tier: input.tier },
      },
    ],
  },
  {
    path: "usage.recordPayment",
    method: "POST",
    access: "serviceOnly",
    input: (userId, n) => ({
      userId: userId ?? "self",
      tier: "plus",
      amount: "1.00",
      paidAt: "2026-01-01T00:00:00Z",
      idempotencyKey: `matrix-pay-${n}`,
    }),
    check: (d) => d.recorded === true,
    wrote: (before, after) => {
      const paid = (s: UserState) => cents(s.billing.find((b) => b.month === "2026-01")?.paid);
      return [
        {
          what: "service reads after the payment: lifetime revenue and the bill of 2026-01, in cents",
          actual: { totalRevenue: cents(after.lifetime.totalRevenue), paid: paid(after) },
          expected: {
            totalRevenue: cents(before.lifetime.totalRevenue) + 100,
            paid: paid(before) + 100,
          },
        },
      ];
    },
  },
  {
    path: "usage.recordUsageBatch",
    method: "POST",
    access: "serviceOnly",
    input: (userId, n) => ({
      events: [{ userId: userId ?? "self", conversations: 1, idempotencyKey: `matrix-batch-${n}` }],
    }),
    check: (d) => (d.results as { status: string }[])[0]?.status === "recorded",
    wrote: (before, after) => oneConversation(before, after),
    allInvalid: (d) =>
      Array.isArray(d.results) &&
      (d.results as { status: string }[]).every((r) => r.status === "invalid"),
  },
  {
    path: "usage.grantUsage",
    method: "POST",
    access: "serviceOnly",
    input: (userId, n) => ({
      userId: userId ?? "self",
      idempotencyKey: `matrix-grant-${n}`,
      feature: "ankiExports",
      amount: 2,
      reason: "matrix",
    }),
    check: (d) => d.remaining === 2,
    wrote: (before, after) => {
      const granted = (s: UserState) =>
        num((s.lifetime.granted as Data | undefined)?.ankiExports) +
        100 * num(((s.current.features as Data).ankiExports as Data).granted);
      return [
        {
          what: "service reads after the grant: lifetime granted + 100 × this month's granted",
          actual: granted(after),
          expected: granted(before) + 2 + 200,
        },
      ];
    },
  },
  {
    path: "usage.getForecast",
    method: "GET",
    access: "read",
    input: (userId) => (userId === undefined ? {} : { userId }),
    check: has("features"),
  },
  {
    path: "usage.listAlerts",
    method: "GET",
    access: "read",
    input: (userId) => (userId === undefined ? {} : { userId }),
    check: (d) => Array.isArray(d),
  },
  {
    path: "analytics.monetization",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("topUps"),
  },
  {
    path: "analytics.featureAdoption",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("tiers"),
  },
  {
    path: "analytics.featureValue",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("tiers"),
  },
  {
    path: "analytics.userSegments",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("segments"),
  },
  {
    path: "analytics.retention",
    method: "GET",
    access: "analytics",
    input: () => ({ fromMonth: month, months: 1 }),
    check: has("cohorts"),
  },
  {
    path: "analytics.dropOff",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("month"),
  },
  {
    path: "analytics.upgradeCandidates",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("candidates"),
  },
  {
    path: "analytics.simulateCatalog",
    method: "GET",
    access: "analytics",
    input: () => ({
      draft: { tiers: { free: { limits: { conversations: 10 } } } },
      fromMonth: month,
    }),
    check: has("months"),
  },
  {
    path: "analytics.overage",
    method: "GET",
    access: "analytics",
    input: () => ({ month }),
    check: has("total"),
  },
];

/** The status the contract gives `caller` on a procedure of `access`. */
export function expectedStatus(caller: Caller, access: Access): 200 | 401 | 403 {
  if (caller === "anonymous" || caller === "wrongToken" || caller === "badCookie") return 401;
  if (caller === "service") return 200;
  if (caller === "analyst") return access === "read" || access === "analytics" ? 200 : 403;
  if (caller === "self") return access === "read" || access === "userWrite" ? 200 : 403;
  return 403; // an end user acting for another user, or reaching service-only or analytics
}

/** Calls `procedure` over HTTP with `headers`; the status and the answer's data. */
export async function call(
  base: string,
  procedure: Pick<Procedure, "path" | "method">,
  input: Data,
  headers: Record<string, string>,
): Promise<{ status: number; data: Data | null }> {
  const payload = JSON.stringify({ json: input });
  const response =
    procedure.method === "GET"
      ? await fetch(`${base}/${procedure.path}?input=${encodeURIComponent(payload)}`, { headers })
      : await fetch(`${base}/${procedure.path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: payload,
        });
  const body = (await response.json()) as { result?: { data: { json: Data } } };
  return { status: response.status, data: body.result?.data.json ?? null };
}

/** The service's own reads of `userId` (every month it keeps: bills and history over 120). */
export async function readUser(
  base: string,
  serviceHeaders: Record<string, string>,
  userId: string,
): Promise<UserState> {
  const read = async (path: string, input: Data) => {
    const { status, data } = await call(base, { path, method: "GET" }, input, serviceHeaders);
    if (status !== 200) throw new Error(`the service's ${path} for ${userId} answered ${status}`);
    return data;
  };
  const [lifetime, current, billing, history] = await Promise.all([
    read("usage.getLifetimeStats", { userId }),
    read("usage.getCurrentUsage", { userId }),
    read("usage.getBillingHistory", { userId, months: 120 }),
    read("usage.getUsageHistory", { userId, months: 120 }),
  ]);
  return {
    lifetime: lifetime!,
    current: current!,
    billing: billing as unknown as Data[],
    history: history as unknown as Data[],
  };
}

/** Asserts one check of a cell, naming the cell and what was compared. */
export function expectCheck(cell: string, check: Check) {
  expect({ cell, what: check.what, value: check.actual }).toEqual({
    cell,
    what: check.what,
    value: check.expected,
  });
}

/**
 * Runs every cell: `headersFor(caller)` says how each caller is identified, `userFor(caller)` whom
 * it acts for (undefined: "me", the signed-in `selfUser`). The service's headers read the
 * reference answers and the users' state. `rowCounts`, where the suite can see the database,
 * counts its rows: a refused cell and any read must leave them as they were. Each cell's checks
 * go to `expectCell` (default: `expectCheck` each); returns the number of cells.
 */
export async function runMatrix(opts: {
  base: string;
  callers: Caller[];
  headersFor: (caller: Caller) => Record<string, string>;
  userFor: (caller: Caller) => string | undefined;
  /** The end user the self/other callers are signed in as. */
  selfUser?: string;
  rowCounts?: () => Promise<unknown>;
  expectCell?: (cell: string, checks: Check[]) => void;
}): Promise<number> {
  const service = opts.headersFor("service");
  const expectCell =
    opts.expectCell ?? ((cell, checks) => checks.forEach((c) => expectCheck(cell, c)));
  const signedIn = (caller: Caller) =>
    caller === "self" || caller === "other" ? opts.selfUser : undefined;
  let n = 0;
  for (const caller of opts.callers) {
    for (const procedure of procedures) {
      const cell = `${procedure.path} as ${caller}`;
      const expected = expectedStatus(caller, procedure.access);
      const named = opts.userFor(caller);
      const target = named ?? signedIn(caller) ?? opts.selfUser;
      const i = n++;
      const writes = procedure.access === "userWrite" || procedure.access === "serviceOnly";
      // Everyone the call could touch: the user it names (or "self", a service-only input's
      // stand-in for "me") and the user its caller is signed in as.
      const firstInput = procedure.input(named, i);
      const inputUser = (firstInput.userId ??
        (firstInput.events as Data[] | undefined)?.[0]?.userId) as string | undefined;
      const affected = [...new Set([inputUser, target, signedIn(caller)])].filter(
        (u): u is string => typeof u === "string",
      );
      const refused = expected !== 200;
      const watch = refused || writes;
      const countsBefore = opts.rowCounts ? await opts.rowCounts() : undefined;
      const before = watch
        ? await Promise.all(affected.map((u) => readUser(opts.base, service, u)))
        : [];
      const stateOf = (u: string | undefined) => before[affected.indexOf(u!)];
      const input = procedure.input(named, i, stateOf(inputUser ?? target));
      const result = await call(opts.base, procedure, input, opts.headersFor(caller));
      const checks: Check[] = [{ what: "status", actual: result.status, expected }];

      if (refused) {
        const after = await Promise.all(affected.map((u) => readUser(opts.base, service, u)));
        checks.push({
          what: `refused: the service's reads of ${affected.join(", ")} unchanged`,
          actual: after,
          expected: before,
        });
        if (opts.rowCounts) {
          checks.push({
            what: "refused: row counts unchanged",
            actual: await opts.rowCounts(),
            expected: countsBefore,
          });
        }
      } else {
        checks.push({
          what: "the answer has the procedure's shape",
          actual: result.data !== null && procedure.check(result.data),
          expected: true,
        });
        if (procedure.wrote && result.data) {
          const user = (inputUser ?? target)!;
          const after = await readUser(opts.base, service, user);
          checks.push(...procedure.wrote(stateOf(user)!, after, input, result.data));
        } else if (!writes) {
          if (opts.rowCounts) {
            checks.push({
              what: "a read writes nothing: row counts unchanged",
              actual: await opts.rowCounts(),
              expected: countsBefore,
            });
          }
          if (caller !== "service") {
            // The reference: the service's answer for the same user and input.
            const referenceInput = procedure.input(target, i);
            const reference = await call(opts.base, procedure, referenceInput, service);
            if (procedure.nonTrivial) {
              checks.push({
                what: "the reference answer has data to compare (the fixture's doing)",
                actual: procedure.nonTrivial(reference.data),
                expected: true,
              });
            }
            checks.push({
              what: `the answer equals the service's for ${JSON.stringify(referenceInput)}`,
              actual: result.data,
              expected: reference.data,
            });
          }
        }
      }
      expectCell(cell, checks);
    }
  }
  return n;
}

/** One tRPC batch request (`?batch=1`) of `n` calls to `path` with the same input. */
export function batchCall(
  base: string,
  path: string,
  n: number,
  input: Data,
  headers: Record<string, string>,
) {
  const paths = Array.from({ length: n }, () => path).join(",");
  const inputs = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: input }]));
  return fetch(`${base}/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`, {
    headers,
  });
}
