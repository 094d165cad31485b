/**
 * The authorization matrix of the contract, as data: every procedure × every kind of caller, and
 * the status each cell must answer. Used over HTTP by the standalone server's suite and by the
 * demo's (test-only module; no package exports it).
 */
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

interface Procedure {
  path: string;
  method: "GET" | "POST";
  access: Access;
  /** The input for a call acting on `userId` (undefined: "me"). */
  input: (userId: string | undefined, n: number) => Record<string, unknown>;
  /** What an allowed answer must show, so an allowed cell is known to have really worked. */
  check: (data: Record<string, unknown>) => boolean;
  /** For a batch: a 200 whose every item was refused as invalid (bad items are per-item). */
  allInvalid?: (data: Record<string, unknown>) => boolean;
}

const month = "2026-11";
const has = (key: string) => (d: Record<string, unknown>) => key in d;

export const procedures: Procedure[] = [
  {
    path: "usage.recordUsage",
    method: "POST",
    access: "userWrite",
    input: (userId, n) => ({ userId, conversations: 1, idempotencyKey: `matrix-${n}` }),
    check: (d) => d.recorded === true,
  },
  {
    path: "usage.canUseFeature",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId, feature: "seconds" }),
    check: has("allowed"),
  },
  {
    path: "usage.getLifetimeStats",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: has("totalSeconds"),
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
  },
  {
    path: "usage.getBillingHistory",
    method: "GET",
    access: "read",
    input: (userId) => ({ userId }),
    check: (d) => Array.isArray(d),
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
    input: (userId) => ({ userId: userId ?? "self", tier: "plus" }),
    check: (d) => d.tier === "plus",
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
  },
  {
    path: "usage.recordUsageBatch",
    method: "POST",
    access: "serviceOnly",
    input: (userId, n) => ({
      events: [{ userId: userId ?? "self", conversations: 1, idempotencyKey: `matrix-batch-${n}` }],
    }),
    check: (d) => (d.results as { status: string }[])[0]?.status === "recorded",
    allInvalid: (d) =>
      Array.isArray(d.results) &&
      (d.results as { status: string }[]).every((r) => r.status === "invalid"),
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
  procedure: Procedure,
  input: Record<string, unknown>,
  headers: Record<string, string>,
): Promise<{ status: number; data: Record<string, unknown> | null }> {
  const payload = JSON.stringify({ json: input });
  const response =
    procedure.method === "GET"
      ? await fetch(`${base}/${procedure.path}?input=${encodeURIComponent(payload)}`, { headers })
      : await fetch(`${base}/${procedure.path}`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: payload,
        });
  const body = (await response.json()) as { result?: { data: { json: Record<string, unknown> } } };
  return { status: response.status, data: body.result?.data.json ?? null };
}

/**
 * Runs every cell: `headersFor(caller)` says how each caller is identified, `userFor(caller)` whom
 * it acts for. Returns the number of cells checked; each is asserted by `expectCell`.
 */
export async function runMatrix(opts: {
  base: string;
  callers: Caller[];
  headersFor: (caller: Caller) => Record<string, string>;
  userFor: (caller: Caller) => string | undefined;
  expectCell: (cell: string, actual: number, expected: number, worked: boolean) => void;
}): Promise<number> {
  let n = 0;
  for (const caller of opts.callers) {
    for (const procedure of procedures) {
      const expected = expectedStatus(caller, procedure.access);
      const result = await call(
        opts.base,
        procedure,
        procedure.input(opts.userFor(caller), n++),
        opts.headersFor(caller),
      );
      const worked = expected !== 200 || (result.data !== null && procedure.check(result.data));
      opts.expectCell(`${procedure.path} as ${caller}`, result.status, expected, worked);
    }
  }
  return n;
}

/** One tRPC batch request (`?batch=1`) of `n` calls to `path` with the same input. */
export function batchCall(
  base: string,
  path: string,
  n: number,
  input: Record<string, unknown>,
  headers: Record<string, string>,
) {
  const paths = Array.from({ length: n }, () => path).join(",");
  const inputs = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: input }]));
  return fetch(`${base}/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(inputs))}`, {
    headers,
  });
}
