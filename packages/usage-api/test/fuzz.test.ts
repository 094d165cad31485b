/**
 * Fuzzing over HTTP, on every database: every field of every procedure's input, sent to the
 * standalone server with the service token.
 *
 * - Boundary values (fuzz-fields.ts), one field at a time: each value just outside what the
 *   contract accepts is BAD_REQUEST naming the field (a batch: its item `invalid`), or FORBIDDEN
 *   at a limit, and writes nothing (a refusal: only its refusal-log entry); each value just
 *   inside is accepted.
 * - Random malformed inputs: invalid values in several fields at once, unknown keys, deep
 *   nesting, bodies that are not JSON or carry superjson meta no schema takes, batches over the
 *   cap. Every answer is a 4xx (never a 5xx or a dropped connection), or a batch's 200 whose
 *   every item is invalid, and nothing is written. CI runs a seeded slice (FUZZ_RUNS, default
 *   1,000 per procedure); `pnpm fuzz` runs 10,000 per procedure.
 */
import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { dbKinds, useServer } from "./db";
import { OMIT, specs } from "./fuzz-fields";
import type { Case, Spec } from "./fuzz-fields";
import { rowCounts } from "./helpers";

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const TOKEN = "fuzz-service-token-0123456789";
const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

type Input = Record<string, unknown>;

interface Answer {
  status: number;
  data?: unknown;
  error?: { message: string; data: { code: string; limitExceeded?: { feature: string } } };
}
interface BatchItem {
  status: string;
  error?: { code: string; message: string };
  limitExceeded?: { feature: string };
}

/** `input` with `patch` set on it (on its one event, for a batch field), omitted keys left out. */
function patched(spec: Spec, input: Input, c: Pick<Case, "patch" | "top">): Input {
  const apply = (target: Input) => {
    const out = { ...target, ...c.patch };
    for (const [k, v] of Object.entries(out)) if (v === OMIT) delete out[k];
    return out;
  };
  if (!spec.batch || c.top) return apply(input);
  const [first, ...rest] = input.events as Input[];
  return { ...input, events: [apply(first!), ...rest] };
}

describe.each(dbKinds)("fuzzing every procedure over HTTP on %s", (kind) => {
  const suite = useServer(kind, { serviceToken: TOKEN, logError: () => {} }, { max: 4 });

  /** Sends a raw body (or query input); `batch`: as a tRPC batch of that many calls. */
  const sendRaw = (spec: Pick<Spec, "path" | "method">, raw: string, batch?: number) => {
    if (batch) {
      const paths = Array.from({ length: batch }, () => spec.path).join(",");
      return fetch(`${suite.url}/${paths}?batch=1`, {
        method: "POST",
        headers,
        body: JSON.stringify({ 0: JSON.parse(raw) }),
      });
    }
    return spec.method === "GET"
      ? fetch(`${suite.url}/${spec.path}?input=${encodeURIComponent(raw)}`, { headers })
      : fetch(`${suite.url}/${spec.path}`, { method: "POST", headers, body: raw });
  };

  /** Sends `input` as the official client does (superjson: dates, NaN, bigint annotated). */
  const send = async (spec: Spec, input: Input): Promise<Answer> => {
    const response = await sendRaw(spec, JSON.stringify(superjson.serialize(input)));
    const body = (await response.json()) as {
      result?: { data: { json: unknown } };
      error?: { json: Answer["error"] };
    };
    return { status: response.status, data: body.result?.data.json, error: body.error?.json };
  };

  /** What is wrong with the answer to case `c` (empty: nothing). */
  function judge(spec: Spec, c: Case, answer: Answer, counts: [unknown, unknown]): string[] {
    const problems: string[] = [];
    const got = `${answer.status} ${answer.error?.data.code ?? ""} ${answer.error?.message ?? ""}`;
    const items = spec.batch ? ((answer.data as { results?: BatchItem[] })?.results ?? []) : [];
    const itemLevel = spec.batch && (!c.top || c.perItem || c.outcome !== "bad");
    const [before, after] = counts as [Record<string, string>, Record<string, string>];
    const names = c.names ?? "";
    if (itemLevel) {
      if (answer.status !== 200 || items.length === 0) {
        problems.push(`expected 200 with per-item results, got ${got}`);
      } else {
        const expected = { ok: "recorded", bad: "invalid", refused: "refused" }[c.outcome];
        const wrong = items.find((r) => r.status !== expected);
        if (wrong) problems.push(`expected every item ${expected}, got ${JSON.stringify(wrong)}`);
        const first = items[0]!;
        if (c.outcome === "bad" && !c.top && first.error?.code !== "BAD_REQUEST") {
          problems.push(`expected the item's error BAD_REQUEST, got ${JSON.stringify(first)}`);
        }
        if (c.outcome === "bad" && !c.top && !first.error?.message.includes(names)) {
          problems.push(`the item's message does not name ${names}: ${first.error?.message}`);
        }
        if (c.outcome === "refused" && first.limitExceeded?.feature !== names) {
          problems.push(`expected the item refused at ${names}, got ${JSON.stringify(first)}`);
        }
      }
    } else if (c.outcome === "ok") {
      if (answer.status !== 200) problems.push(`expected 200, got ${got}`);
    } else if (c.outcome === "bad") {
      if (answer.status !== 400 || answer.error?.data.code !== "BAD_REQUEST") {
        problems.push(`expected 400 BAD_REQUEST, got ${got}`);
      } else if (!answer.error.message.includes(names)) {
        problems.push(`the message does not name ${names}: ${answer.error.message}`);
      }
    } else if (answer.status !== 403 || answer.error?.data.limitExceeded?.feature !== names) {
      problems.push(`expected 403 FORBIDDEN at the limit of ${names}, got ${got}`);
    }
    // Nothing written by an invalid or refused call (a refusal: its refusal-log entry at most).
    const writes = c.outcome === "ok" && (spec.method === "POST" || spec.batch);
    if (!writes) {
      const { limit_refusals: refusalsBefore, ...restBefore } = before;
      const { limit_refusals: refusalsAfter, ...restAfter } = after;
      const logged = Number(refusalsAfter) - Number(refusalsBefore);
      const changed = Object.keys(restAfter).filter((k) => restAfter[k] !== restBefore[k]);
      if (changed.length > 0) {
        problems.push(
          `wrote: ${changed.map((k) => `${k} ${restBefore[k]} → ${restAfter[k]}`).join(", ")}`,
        );
      }
      if (logged !== 0 && !(c.outcome === "refused" && logged === 1)) {
        problems.push(`${logged} refusal-log rows written`);
      }
    }
    return problems;
  }

  it.each(specs.map((s) => [s.path, s] as const))(
    "%s: every field's boundary values — outside refused (naming the field, nothing written), inside accepted",
    async (_path, spec) => {
      const failures: string[] = [];
      const cases = spec.cases();
      for (const [i, c] of cases.entries()) {
        const tag = `${spec.path}-${i}`;
        const input = patched(spec, spec.base(`fuzz-${tag}`, `key-${tag}`), c);
        const before = await rowCounts(suite.handle.db);
        const answer = await send(spec, input);
        const after = await rowCounts(suite.handle.db);
        for (const problem of judge(spec, c, answer, [before, after])) {
          failures.push(`${spec.path} ${c.label} (${c.outcome}): ${problem}`);
        }
      }
      expect(failures).toEqual([]);
      // Every field of the input has its boundary cases.
      const tested = new Set(cases.flatMap((c) => Object.keys(c.patch)));
      expect(Object.keys(spec.random).filter((f) => !tested.has(f))).toEqual([]);
    },
  );

  /** A malformed request for `spec`: the body (or query input) as raw text. */
  function malformed(spec: Spec): fc.Arbitrary<{ raw: string; batch?: number }> {
    const base = spec.base("fuzz-user", "fuzz-key");
    const target = spec.batch ? (base.events as Input[])[0]! : base;
    const fields = Object.keys(spec.random);
    const wire = (input: Input) => JSON.stringify(superjson.serialize(input));
    // Plain JSON (dates as ISO text) for the cases that edit the envelope by hand.
    const json = (input: unknown) => JSON.stringify({ json: JSON.parse(JSON.stringify(input)) });
    return fc.oneof(
      // Invalid values in one to three fields at once.
      fc
        .shuffledSubarray(fields, { minLength: 1, maxLength: Math.min(3, fields.length) })
        .chain((keys) => fc.tuple(...keys.map((k) => spec.random[k]!)).map((v) => ({ keys, v })))
        .map(({ keys, v }) => ({
          raw: wire(
            patched(spec, base, { patch: Object.fromEntries(keys.map((k, i) => [k, v[i]])) }),
          ),
        })),
      // An unknown key, `__proto__` among them, on the input or (a batch) its event.
      fc
        .tuple(
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 12 }),
            fc.constantFrom("__proto__", "constructor", "prototype"),
          ),
          fc.jsonValue(),
        )
        .filter(([k]) => !(k in target) && !(k in spec.random) && !(k in base))
        .map(([k, v]) => {
          const raw = json(base);
          const at = spec.batch ? raw.lastIndexOf("}]") : raw.length - 2;
          return {
            raw: `${raw.slice(0, at)},${JSON.stringify(k)}:${JSON.stringify(v)}${raw.slice(at)}`,
          };
        }),
      // Deep nesting.
      fc
        .tuple(fc.constantFrom(...fields), fc.integer({ min: 3, max: 200 }))
        .map(([key, depth]) => ({
          raw: json(
            patched(spec, base, {
              patch: { [key]: JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) },
            }),
          ),
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
            fc.constantFrom(
              ...Object.keys(base).filter((k) => !["paidAt", "occurredAt"].includes(k)),
            ),
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
            raw: JSON.stringify({
              json: JSON.parse(JSON.stringify(base)),
              meta: { values: { [key]: annotation } },
            }),
          })),
      ),
      // A batch over the cap.
      fc.integer({ min: 51, max: 120 }).map((n) => ({ raw: wire(base), batch: n })),
    );
  }

  /** Refused: a 4xx, or (a batch) a 200 that reports every item invalid. */
  const refused = async (spec: Spec, response: Response) => {
    if (response.status >= 400 && response.status < 500) return true;
    if (response.status !== 200 || !spec.batch) return false;
    const body = (await response.json()) as {
      result: { data: { json: { results: BatchItem[] } } };
    };
    const results = body.result.data.json.results;
    return results.length > 0 && results.every((r) => r.status === "invalid");
  };

  it.each(specs.map((s) => [s.path, s] as const))(
    `%s: ${RUNS} malformed inputs, only refused (4xx, or a batch's invalid items), nothing written`,
    async (_path, spec) => {
      const before = await rowCounts(suite.handle.db);
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(malformed(spec), async (request) => {
          const response = await sendRaw(spec, request.raw, request.batch);
          const ok = await refused(spec, response);
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
