/**
 * Every field of every procedure's input, with its boundary values: the values just outside what
 * the contract accepts (each must be refused, naming the field, and write nothing) and the values
 * just inside (each must be accepted). Used by fuzz.test.ts, which also throws random invalid
 * values (`random`) at several fields at once.
 */
import fc from "fast-check";
import { defaultTiers, features } from "../src";

/** Leaves the key out of the input. */
export const OMIT = Symbol("omitted");

/**
 * `ok`: accepted (200; a batch's item recorded). `bad`: BAD_REQUEST naming `names` (a batch's
 * item invalid), nothing written. `refused`: FORBIDDEN at the limit of `feature` (a batch's item
 * refused), no usage written.
 */
export type Outcome = "ok" | "bad" | "refused";

export interface Case {
  label: string;
  /** A batch: the patch is on the input itself, not on its one event. */
  top?: boolean;
  /** A batch's top-level case answered per item (200, every item invalid) rather than 400. */
  perItem?: boolean;
  /** Set on the procedure's valid base input (a batch: on its one event). */
  patch: Record<string, unknown>;
  outcome: Outcome;
  /** For `bad`: the field the message must name. For `refused`: the feature refused. */
  names?: string;
}

export interface Spec {
  path: string;
  method: "GET" | "POST";
  /** A valid input acting on `user` with the fresh idempotency key `key`. */
  base: (user: string, key: string) => Record<string, unknown>;
  /** The boundary cases (a function: some depend on the clock). */
  cases: () => Case[];
  /** Random invalid values per field, for the property over several fields at once. */
  random: Record<string, fc.Arbitrary<unknown>>;
  /** A batch: field cases apply to its one event, and are answered per item. */
  batch?: boolean;
}

const MAX_INT32 = 2 ** 31 - 1;
const HOUR = 3_600_000;

/** A readable label for a value: NaN, dates, long and control-character strings included. */
export function show(value: unknown): string {
  if (value === OMIT) return "(omitted)";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (value instanceof Date) {
    return `Date(${Number.isNaN(value.getTime()) ? "invalid" : value.toISOString()})`;
  }
  if (typeof value === "string") {
    const run = /^(.)\1{20,}$/su.exec(value);
    if (run) return `"${run[1]}"×${[...value].length}`;
    return JSON.stringify(value).replace(
      /[\u007f-\u009f\ud800-\udfff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  }
  if (Array.isArray(value) && value.length > 20) return `[${value.length} items]`;
  return JSON.stringify(value) ?? String(value);
}

const cases = (
  field: string,
  values: { ok?: unknown[]; bad?: unknown[]; refused?: unknown[] },
  names = field,
): Case[] =>
  (["ok", "bad", "refused"] as const).flatMap((outcome) =>
    (values[outcome] ?? []).map((value) => ({
      label: `${field}=${show(value)}`,
      patch: { [field]: value },
      outcome,
      names,
    })),
  );

// ---- Values no field of its kind accepts -------------------------------------------------------

/** Anything that is not a number at all, in the forms JSON and superjson can carry. */
const notNumbers = ["1", "NaN", "", true, null, [1], { n: 1 }, 1n];
/** Non-negative 32-bit integers: what is just outside, and NaN and the infinities. */
const badInt32 = [
  -1,
  -(2 ** 31),
  0.5,
  1.5,
  MAX_INT32 - 0.5,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  ...notNumbers,
];
/** Control characters (C0, DEL, C1), lone surrogates: never in an id, key, name or month. */
const badText = [
  "\u0000",
  "a\u0000b",
  "a\u0001",
  "\t",
  "a\nb",
  "\r",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u009f",
  "\ud800",
  "a\udc00b",
  "\udbff\u0041",
];
const notStrings = [42, 0, true, null, ["a"], { a: 1 }, 1n];

const int32Arbitrary = (min = 0, max = MAX_INT32) =>
  fc.oneof(
    fc.constantFrom(...badInt32),
    fc.bigInt({ min: -(2n ** 53n), max: BigInt(min) - 1n }).map(Number),
    fc.bigInt({ min: BigInt(max) + 1n, max: 2n ** 53n }).map(Number),
    fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
    fc.string({ maxLength: 8 }),
  );
const textArbitrary = (max: number) =>
  fc.oneof(
    fc.constantFrom("", ...badText, ...notStrings),
    fc.string({ minLength: max + 1, maxLength: max + 200 }),
    fc
      .tuple(
        fc.string({ maxLength: 10 }),
        fc.integer({ min: 0, max: 31 }),
        fc.string({ maxLength: 10 }),
      )
      .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
    fc
      .tuple(fc.string({ maxLength: 10 }), fc.integer({ min: 0x7f, max: 0x9f }))
      .map(([a, c]) => `${a}${String.fromCharCode(c)}`),
  );

// ---- Fields ----------------------------------------------------------------------------------

/** A service must name its user: omitting userId is as bad as an invalid one. */
const userIdCases = (): Case[] =>
  cases("userId", {
    ok: ["u".repeat(128), "42", "用户😀", "a b"],
    bad: ["", "u".repeat(129), ...badText, ...notStrings, OMIT],
  });

const keyCases = (required: boolean): Case[] =>
  cases("idempotencyKey", {
    ok: ["k", "k".repeat(200), "é😀-ключ", ...(required ? [] : [OMIT])],
    bad: ["", "k".repeat(201), ...badText, ...notStrings, ...(required ? [OMIT] : [])],
  });

/** An ISO-8601 text of `ms` at the offset `minutes` east of UTC. */
const isoAt = (ms: number, minutes: number) => {
  const local = new Date(ms + minutes * 60_000).toISOString().slice(0, 19);
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
};

/** Dates no instant field takes, whatever the clock: outside years 1–9999, or not dates. */
const badDates = () => [
  new Date(Number.NaN),
  new Date("0000-12-31T00:00:00Z"),
  new Date("-000001-06-01T00:00:00Z"),
  new Date("0001-01-01T00:00:00Z"), // year 0 at UTC-12
  new Date("9999-12-31T23:00:00Z"), // year 10000 at UTC+14
  new Date("+010000-01-01T00:00:00Z"),
  new Date(8.64e15),
  "0000-06-01T00:00:00Z",
  "+010000-01-01T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2026-12-03",
  "2026-12-03T10:00:00", // no offset
  "2026-02-30T10:00:00Z",
  "2026-12-03T25:00:00Z",
  "9999-99-99T99:99:99Z",
  "yesterday",
  "",
  "2026-12-03T10:00:00Z\u0000",
  0,
  Date.now(),
  true,
  null,
  { date: "2026-12-03T10:00:00Z" },
];

/** The start of the previous month in UTC (a fresh user's zone): the oldest accepted event. */
const windowStart = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1);
};

const occurredAtCases = (): Case[] => {
  const now = Date.now();
  return cases("occurredAt", {
    ok: [
      OMIT,
      new Date(now),
      new Date(now - 60_000),
      new Date(now + 4 * 60_000), // within the 5 minutes the clock may differ
      new Date(windowStart(now)),
      isoAt(now - 60_000, 14 * 60),
      isoAt(now - 60_000, -12 * 60),
      isoAt(windowStart(now), 0),
    ],
    bad: [
      ...badDates(),
      new Date(now + 6 * 60_000),
      new Date(now + 365 * 24 * HOUR),
      new Date(windowStart(now) - 1),
      new Date("2001-01-01T00:00:00Z"),
      new Date("0001-01-01T12:00:00Z"),
      isoAt(now + 6 * 60_000, 0),
    ],
  });
};

const enforceCases = (): Case[] =>
  cases("enforceLimits", {
    ok: [true, false, OMIT],
    bad: ["true", "false", 1, 0, null, [true]],
  });

/**
 * One amount at a time (the base's conversations: 1 set to 0 when another amount is tested, so
 * that the tested value decides): 0 alone, the int32 bounds, limit + 1 with enforceLimits.
 */
const amountCases = (): Case[] => {
  const free = defaultTiers.free;
  return features.flatMap((f) => {
    const others = f === "conversations" ? {} : { conversations: 0 };
    const one = (value: unknown, outcome: Outcome, extra: Record<string, unknown> = {}): Case => ({
      label: `${f}=${show(value)}${extra.enforceLimits ? " enforced" : ""}`,
      patch: { ...others, [f]: value, ...extra },
      outcome,
      names: outcome === "refused" ? f : value === 0 || Object.is(value, -0) ? "amounts" : f,
    });
    const { limit, overage } = free[f];
    const enforced = { enforceLimits: true };
    return [
      one(1, "ok"),
      one(MAX_INT32, "ok"),
      one(0, "bad"),
      one(-0, "bad"),
      ...badInt32.map((v) => one(v, "bad")),
      ...(limit === null
        ? [one(MAX_INT32, "ok", enforced)]
        : [
            ...(limit > 0 ? [one(limit, "ok", enforced)] : []),
            one(limit + 1, overage ? "ok" : "refused", enforced),
            one(MAX_INT32, overage ? "ok" : "refused", enforced),
          ]),
      // 0 beside another amount is fine.
      {
        label: `${f}=0 beside another amount`,
        patch: { [f]: 0, [f === "seconds" ? "conversations" : "seconds"]: 1 },
        outcome: "ok" as const,
      },
    ];
  });
};

const monthCases = (field: string): Case[] => {
  const now = Date.now();
  const current = new Date(now).toISOString().slice(0, 7);
  const latest = new Date(now + 14 * HOUR);
  const future = new Date(Date.UTC(latest.getUTCFullYear(), latest.getUTCMonth() + 1, 1));
  const previous = new Date(windowStart(now)).toISOString().slice(0, 7);
  return cases(field, {
    ok: ["1000-01", "1970-01", previous, current],
    bad: [
      "0099-05",
      "0999-12",
      "0000-01",
      "10000-01",
      "2026-13",
      "2026-00",
      "2026-1",
      "26-11",
      "2026-11-01",
      "2026/11",
      " 2026-11",
      "2026-11 ",
      "２０２６-１１",
      future.toISOString().slice(0, 7),
      "9999-12",
      "",
      "2026-11\u0000",
      "2026-11\n",
      "\ud800",
      202611,
      new Date("2026-11-01T00:00:00Z"),
      null,
      OMIT,
    ],
  });
};

const monthArbitrary = fc.oneof(
  fc.constantFrom("0099-05", "2026-13", "9999-12", "", 202611, null, "\u0000"),
  fc.string({ maxLength: 12 }).filter((s) => !/^[1-9]\d{3}-(0[1-9]|1[0-2])$/.test(s)),
  fc.integer({ min: 0, max: 999 }).map((y) => `${String(y).padStart(4, "0")}-05`),
);

const intRangeCases = (field: string, min: number, max: number, required = false): Case[] =>
  cases(field, {
    ok: [min, max, ...(required ? [] : [OMIT])],
    bad: [
      min - 1,
      max + 1,
      ...(max + 1 < MAX_INT32 ? [MAX_INT32] : []),
      ...badInt32.filter((v) => !(typeof v === "number" && v < 0 && Number.isInteger(v))),
      -1,
      ...(required ? [OMIT] : []),
    ],
  });

const tierCases = (): Case[] =>
  cases("tier", {
    ok: ["free", "plus", "pro"],
    bad: ["", "Plus", "PRO", "enterprise", "plus ", "free\u0000", "__proto__", ...notStrings, OMIT],
  });

/** A batch's own field: its list of 1–1,000 events. */
const eventsCases = (): Case[] => {
  const many = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({
      userId: `batch-${tag}-${i % 97}`,
      idempotencyKey: `batch-${tag}-${i}`,
      seconds: 1,
    }));
  const top = (value: unknown, outcome: Outcome, perItem = false): Case => ({
    label: `events=${show(value)}`,
    top: true,
    perItem,
    patch: { events: value },
    outcome,
    names: "events",
  });
  return [
    top(many(1000, "max"), "ok"),
    top(many(1001, "over"), "bad"),
    top([], "bad"),
    top("events", "bad"),
    top({ 0: { userId: "u", seconds: 1 } }, "bad"),
    top(null, "bad"),
    top(OMIT, "bad"),
    top([1], "bad", true),
    top([null], "bad", true),
    top(["event"], "bad", true),
    top([[]], "bad", true),
  ];
};

// ---- Procedures ------------------------------------------------------------------------------

const recordUsageFields = (): Case[] => [
  ...userIdCases(),
  ...keyCases(false),
  ...occurredAtCases(),
  ...enforceCases(),
  ...amountCases(),
];

const userRandom = { userId: textArbitrary(128) };
const eventRandom = {
  ...userRandom,
  idempotencyKey: textArbitrary(200),
  occurredAt: fc.constantFrom(...badDates()),
  enforceLimits: fc.constantFrom("true", 1, 0, null, [true]),
  ...Object.fromEntries(features.map((f) => [f, int32Arbitrary()])),
};

const userRead = (path: string): Spec => ({
  path,
  method: "GET",
  base: (user) => ({ userId: user }),
  cases: () => userIdCases(),
  random: userRandom,
});

const historyRead = (path: string): Spec => ({
  path,
  method: "GET",
  base: (user) => ({ userId: user }),
  cases: () => [...userIdCases(), ...intRangeCases("months", 1, 120)],
  random: { ...userRandom, months: int32Arbitrary(1, 120) },
});

const monthReport = (path: string, withLimit: boolean): Spec => ({
  path,
  method: "GET",
  base: () => ({ month: new Date().toISOString().slice(0, 7) }),
  cases: () => [...monthCases("month"), ...(withLimit ? intRangeCases("limit", 1, 1000) : [])],
  random: { month: monthArbitrary, ...(withLimit ? { limit: int32Arbitrary(1, 1000) } : {}) },
});

export const specs: Spec[] = [
  {
    path: "usage.recordUsage",
    method: "POST",
    base: (user, key) => ({ userId: user, idempotencyKey: key, conversations: 1 }),
    cases: () => recordUsageFields(),
    random: eventRandom,
  },
  {
    path: "usage.canUseFeature",
    method: "GET",
    base: (user) => ({ userId: user, feature: "conversations" }),
    cases: () => [
      ...userIdCases(),
      ...cases("feature", {
        ok: [...features],
        bad: [
          "",
          "Conversations",
          "ankiExportsUsed",
          "overageSeconds",
          "__proto__",
          "toString",
          "seconds\u0000",
          ...notStrings,
          OMIT,
        ],
      }),
      ...intRangeCases("amount", 1, MAX_INT32),
      // Past the limit is a question with the answer "no", not an invalid one.
      ...cases("amount", { ok: [defaultTiers.free.conversations.limit! + 1] }),
    ],
    random: {
      ...userRandom,
      feature: fc.oneof(
        fc.string({ maxLength: 20 }).filter((s) => !(features as readonly string[]).includes(s)),
        fc.constantFrom(null, 1),
      ),
      amount: int32Arbitrary(1),
    },
  },
  userRead("usage.getLifetimeStats"),
  userRead("usage.getCurrentUsage"),
  historyRead("usage.getUsageHistory"),
  historyRead("usage.getBillingHistory"),
  userRead("usage.getMilestones"),
  userRead("usage.getRecommendations"),
  {
    path: "usage.setUserPlan",
    method: "POST",
    base: (user) => ({ userId: user, tier: "plus" }),
    cases: () => [
      ...userIdCases(),
      ...tierCases(),
      ...cases("timezone", {
        ok: [
          "UTC",
          "Europe/Berlin",
          "europe/berlin",
          "Pacific/Kiritimati",
          "Etc/GMT+12",
          "America/Argentina/Buenos_Aires",
          OMIT,
        ],
        bad: [
          "",
          "+05:00",
          "-12:00",
          "UTC+5",
          "Not/AZone",
          "Europe/Berlin\u0000",
          "Europe/Berlin\n",
          "localtime",
          "posixrules",
          "posix/Europe/Berlin",
          "right/UTC",
          "Factory",
          "z".repeat(65),
          "%",
          ...badText,
          ...notStrings,
        ],
      }),
    ],
    random: {
      ...userRandom,
      tier: fc.oneof(
        fc.string({ maxLength: 10 }).filter((s) => !["free", "plus", "pro"].includes(s)),
        fc.constantFrom(null, 1),
      ),
      timezone: fc.oneof(textArbitrary(64), fc.constantFrom("+05:00", "localtime", "posix/UTC")),
    },
  },
  {
    path: "usage.recordPayment",
    method: "POST",
    base: (user, key) => ({
      userId: user,
      tier: "plus",
      amount: "9.99",
      paidAt: new Date(),
      idempotencyKey: key,
    }),
    cases: () => {
      const now = Date.now();
      return [
        ...userIdCases(),
        ...tierCases(),
        ...keyCases(true),
        ...cases("amount", {
          ok: ["0.01", "1", "9.9", "9.99", "99999999.99", "00000001.00"],
          bad: [
            "0",
            "0.00",
            "00.0",
            "-1",
            "-0.01",
            "1.234",
            "1e3",
            "1E2",
            "",
            " 1",
            "1 ",
            "1.",
            ".5",
            "+1",
            "1,00",
            "123456789",
            "100000000.00",
            "NaN",
            "Infinity",
            "0x10",
            "１",
            "9.99\u0000",
            9.99,
            1,
            Number.NaN,
            true,
            null,
            OMIT,
          ],
        }),
        ...cases("paidAt", {
          ok: [
            new Date(now),
            new Date(now + 4 * 60_000),
            new Date("2001-01-01T00:00:00Z"),
            new Date("0001-01-01T12:00:00Z"),
            isoAt(now - HOUR, 5 * 60 + 30),
          ],
          bad: [...badDates(), new Date(now + 6 * 60_000), new Date("9999-12-31T10:00:00Z"), OMIT],
        }),
      ];
    },
    random: {
      ...userRandom,
      tier: fc.constantFrom("", "enterprise", null, 1),
      amount: fc
        .oneof(
          fc.double().map(String),
          fc.string({ maxLength: 12 }),
          fc.constantFrom(0, 9.99, null),
        )
        .filter(
          (v) => typeof v !== "string" || !/^\d{1,8}(\.\d{1,2})?$/.test(v) || !/[1-9]/.test(v),
        ),
      paidAt: fc.constantFrom(...badDates()),
      idempotencyKey: textArbitrary(200),
    },
  },
  {
    path: "usage.recordUsageBatch",
    method: "POST",
    batch: true,
    base: (user, key) => ({ events: [{ userId: user, idempotencyKey: key, conversations: 1 }] }),
    cases: () => [...recordUsageFields(), ...eventsCases()],
    random: eventRandom,
  },
  monthReport("analytics.featureAdoption", false),
  monthReport("analytics.featureValue", false),
  {
    path: "analytics.userSegments",
    method: "GET",
    base: () => ({ month: new Date().toISOString().slice(0, 7) }),
    cases: () => [
      ...monthCases("month"),
      // powerSeconds above the default regularSeconds (3,600), regularSeconds below the default
      // powerSeconds (36,000): otherwise the pair is out of order.
      ...cases("powerSeconds", { ok: [3601, MAX_INT32, OMIT], bad: [0, ...badInt32, 2 ** 31] }),
      ...cases("powerSeconds", { bad: [1, 3600] }, "regularSeconds"),
      ...cases("regularSeconds", {
        ok: [1, 35_999, OMIT],
        bad: [0, 36_000, MAX_INT32, ...badInt32],
      }),
    ],
    random: {
      month: monthArbitrary,
      powerSeconds: int32Arbitrary(1),
      regularSeconds: int32Arbitrary(1),
    },
  },
  {
    path: "analytics.retention",
    method: "GET",
    base: () => ({ fromMonth: new Date().toISOString().slice(0, 7), months: 1 }),
    cases: () => [...monthCases("fromMonth"), ...intRangeCases("months", 1, 36, true)],
    random: { fromMonth: monthArbitrary, months: int32Arbitrary(1, 36) },
  },
  monthReport("analytics.dropOff", false),
  monthReport("analytics.upgradeCandidates", true),
  monthReport("analytics.overage", true),
  {
    path: "analytics.simulateCatalog",
    method: "GET",
    base: () => ({ draft: {}, fromMonth: new Date().toISOString().slice(0, 7), months: 1 }),
    cases: () => [
      ...monthCases("fromMonth"),
      ...intRangeCases("months", 1, 12),
      ...cases("draft", {
        ok: [
          {},
          { tiers: {} },
          { tiers: { free: { price: "0.00", limits: { conversations: 0 } } } },
        ],
        bad: [
          null,
          5,
          "free",
          [],
          { tiers: { gold: {} } },
          { tiers: { free: { limits: { conversations: -1 } } } },
          { tiers: { plus: { price: "9.999" } } },
        ],
      }),
    ],
    random: { fromMonth: monthArbitrary, months: int32Arbitrary(1, 12) },
  },
];
