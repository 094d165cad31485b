/**
 * Fuzzing over HTTP: generated malformed inputs for every procedure, sent to the standalone
 * server with the service token. Every answer must be a 4xx (never a 5xx or a dropped
 * connection) and nothing may be written. CI runs a seeded slice (FUZZ_RUNS, default 1,000 per
 * procedure); `pnpm fuzz` runs 10,000 per procedure.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { procedures } from "./auth-matrix";
import { dbKinds, useServer } from "./db";
import { rowCounts } from "./helpers";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const TOKEN = "fuzz-service-token-0123456789";
const kind = dbKinds.includes("postgres") ? "postgres" : "pglite";

/** Values no field of any procedure accepts in place of a valid one of `kind`. */
const invalidFor = (key: string, value: unknown): fc.Arbitrary<unknown> => {
  const common = [
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  ];
  if (typeof value === "number") {
    return fc.oneof(
      ...common,
      fc.integer({ max: -1 }),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
      fc.integer({ min: 2 ** 31, max: 2 ** 53 }),
      fc.string(),
      fc.boolean(),
    );
  }
  return fc.oneof(
    ...common,
    fc.integer(),
    fc.boolean(),
    fc.constant(""),
    fc.string({ minLength: 201, maxLength: 400 }),
    fc
      .tuple(
        fc.string({ maxLength: 10 }),
        fc.integer({ min: 0, max: 31 }),
        fc.string({ maxLength: 10 }),
      )
      .map(([a, c, b]) => `${a}${String.fromCharCode(c)}${b}`),
    // Free-form strings (ids, keys) take almost any text: only what no field takes.
    ["userId", "idempotencyKey"].includes(key)
      ? fc.constantFrom("\u0000", "\ud800", "a\udc00b")
      : fc.constantFrom("0099-05", "2026-13", "+05:00", "\u0000", "9999-99-99T99:99:99Z", "\ud800"),
  );
};

/** A malformed request for `procedure`: the body (or query input) as raw text. */
function malformed(
  procedure: (typeof procedures)[number],
): fc.Arbitrary<{ raw: string; batch?: number }> {
  const base = procedure.input("fuzz-user", 0);
  const keys = Object.keys(base).filter((k) => base[k] !== undefined);
  const json = (input: unknown) => JSON.stringify({ json: input });
  return fc.oneof(
    // A known field with a value of the wrong type, range or shape.
    fc
      .constantFrom(...keys)
      .chain((key) =>
        invalidFor(key, base[key]).map((bad) => ({ raw: json({ ...base, [key]: bad }) })),
      ),
    // An unknown key, `__proto__` among them.
    fc
      .tuple(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 12 }),
          fc.constantFrom("__proto__", "constructor"),
        ),
        fc.jsonValue(),
      )
      .filter(
        ([k]) =>
          !(k in base) &&
          ![
            "userId",
            "amount",
            "months",
            "limit",
            "idempotencyKey",
            "occurredAt",
            "enforceLimits",
            "timezone",
            "powerSeconds",
            "regularSeconds",
          ].includes(k),
      )
      .map(([k, v]) => ({
        raw: json(base).replace(/}}$/, `,${JSON.stringify(k)}:${JSON.stringify(v)}}}`),
      })),
    // Deep nesting.
    fc.integer({ min: 10, max: 200 }).map((depth) => ({
      raw: json({ ...base, [keys[0]!]: JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) }),
    })),
    // Not JSON, not an object, or a superjson envelope with a meta superjson cannot read.
    fc.oneof(
      fc.string().map((s) => ({ raw: `{${s}` })),
      fc
        .jsonValue()
        .filter((v) => v === null || typeof v !== "object")
        .map((v) => ({ raw: JSON.stringify({ json: v }) })),
      // A superjson annotation that turns a field into a type no schema takes (or cannot apply).
      fc
        .tuple(
          fc.constantFrom(...keys.filter((k) => !["paidAt", "occurredAt"].includes(k))),
          fc.constantFrom(
            ["Date"],
            ["bigint"],
            ["set"],
            ["map"],
            ["regexp"],
            ["Error"],
            ["custom", "nope"],
            ["class", "X"],
          ),
        )
        .map(([key, annotation]) => ({
          raw: JSON.stringify({ json: base, meta: { values: { [key]: annotation } } }),
        })),
    ),
    // A batch over the cap.
    fc.integer({ min: 51, max: 120 }).map((n) => ({ raw: json(base), batch: n })),
  );
}

describe(`fuzzing every procedure over HTTP on ${kind}`, () => {
  const suite = useServer(kind, { serviceToken: TOKEN, logError: () => {} }, { max: 4 });

  const send = async (
    procedure: (typeof procedures)[number],
    { raw, batch }: { raw: string; batch?: number },
  ) => {
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    if (batch) {
      const paths = Array.from({ length: batch }, () => procedure.path).join(",");
      return fetch(`${suite.url}/${paths}?batch=1`, {
        method: "POST",
        headers,
        body: JSON.stringify({ 0: JSON.parse(raw) }),
      });
    }
    return procedure.method === "GET"
      ? fetch(`${suite.url}/${procedure.path}?input=${encodeURIComponent(raw)}`, { headers })
      : fetch(`${suite.url}/${procedure.path}`, { method: "POST", headers, body: raw });
  };

  /** Refused: a 4xx, or (a batch) a 200 that reports every item invalid. */
  const refused = async (procedure: (typeof procedures)[number], response: Response) => {
    if (response.status >= 400 && response.status < 500) return true;
    if (response.status !== 200 || !procedure.allInvalid) return false;
    const body = (await response.json()) as { result: { data: { json: Record<string, unknown> } } };
    return procedure.allInvalid(body.result.data.json);
  };

  it.each(procedures.map((p) => [p.path, p] as const))(
    `%s: ${RUNS} malformed inputs, only refused (4xx, or a batch's invalid items), nothing written`,
    async (_path, procedure) => {
      const before = await rowCounts(suite.handle.db);
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(malformed(procedure), async (request) => {
          const response = await send(procedure, request);
          const ok = await refused(procedure, response);
          if (!response.bodyUsed) await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          return ok;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
      expect(await rowCounts(suite.handle.db)).toEqual(before);
    },
  );
});
