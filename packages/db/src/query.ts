import type { Query, SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client";
import { prepareRaw } from "./drizzle-internals";

/** PostgreSQL's ISO output of a `timestamptz`, e.g. `2026-11-01 00:00:00.5+01`. */
const TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;
/** An instant as `to_jsonb` writes it: ISO 8601 with its offset, whatever the session's settings. */
const JSON_INSTANT =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}(?::\d{2})?|Z)$/;
const TIMESTAMPTZ_OID = 1184;
const JSONB_OID = 3802;

/** A `timestamptz` column's text (ISO DateStyle only: usagekit answers instants as `to_jsonb`). */
const fromTimestamptz = (value: unknown): unknown => {
  if (typeof value !== "string") return value;
  const m = TIMESTAMPTZ.exec(value);
  if (!m)
    throw new Error(
      `usagekit: a timestamptz arrived as ${JSON.stringify(value)}, not in ISO format`,
    );
  return new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}`);
};
/** A `jsonb` column holding a JSON string that is an instant (`to_jsonb` of a timestamptz). */
const fromJsonInstant = (value: unknown): unknown =>
  typeof value === "string" && JSON_INSTANT.test(value) ? new Date(value) : value;

/**
 * How each column of a result is revived, by the column type each driver reports (postgres.js:
 * `columns[].type`; PGlite: `fields[].dataTypeID`) — never guessed from the text of a value.
 */
function revivers(result: unknown): [string, (value: unknown) => unknown][] {
  const r = result as {
    columns?: { name: string; type: number }[];
    fields?: { name: string; dataTypeID: number }[];
  };
  const columns =
    r.columns?.map((c) => ({ name: c.name, type: c.type })) ??
    r.fields?.map((f) => ({ name: f.name, type: f.dataTypeID }));
  if (!columns) throw new Error("usagekit: the driver's result carries no column types");
  return columns.flatMap((c): [string, (value: unknown) => unknown][] =>
    c.type === TIMESTAMPTZ_OID
      ? [[c.name, fromTimestamptz]]
      : c.type === JSONB_OID
        ? [[c.name, fromJsonInstant]]
        : [],
  );
}

const dialect = new PgDialect({ casing: "snake_case" });

type Row = Record<string, unknown>;

async function run<T>(db: Db, query: Query, values?: Record<string, unknown>): Promise<T[]> {
  const result = (await prepareRaw(db, query).execute(values)) as Row[] | { rows: Row[] };
  const rows = Array.isArray(result) ? result : result.rows;
  if (rows.length === 0) return rows as T[];
  for (const [name, revive] of revivers(result)) {
    for (const row of rows) row[name] = revive(row[name]);
  }
  return rows as T[];
}

/**
 * Runs a raw statement as a prepared statement (postgres.js keeps one per connection and query
 * text, so it is parsed and planned once, not on every call) and returns its rows, the same
 * shape on both drivers. Instants come back as `Date`s: `to_jsonb` ones (what usagekit's SQL
 * answers, whatever the connection's DateStyle and TimeZone) and raw `timestamptz` columns in ISO
 * DateStyle — chosen by the column type the driver reports, not by the look of the text. Works
 * inside `db.transaction` too.
 */
export function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  return run<T>(db, dialect.sqlToQuery(query));
}

/**
 * A statement for a hot path: its SQL text is built once per `config` object (constants such as
 * a tier table go into the text, so the server plans them once), with `sql.placeholder(name)`
 * where each call's values go; each call only binds `values`.
 */
export function preparedStatement<C extends object>(build: (config: C) => SQL) {
  const queries = new WeakMap<C, Query>();
  return <T>(db: Db, config: C, values: Record<string, unknown>): Promise<T[]> => {
    let query = queries.get(config);
    if (!query) queries.set(config, (query = dialect.sqlToQuery(build(config))));
    return run<T>(db, query, values);
  };
}
