import type { Query, SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client";
import { prepareRaw } from "./drizzle-internals";

/** PostgreSQL's ISO output of a `timestamptz`, e.g. `2026-11-01 00:00:00.5+01`. */
const TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;
/** The type OID of `timestamptz`: the only type revived (as a `Date`) by queryRows. */
export const TIMESTAMPTZ_OID = 1184;

const toDate = (value: unknown): unknown => {
  if (typeof value !== "string") return value;
  const m = TIMESTAMPTZ.exec(value);
  if (!m)
    throw new Error(
      `usagekit: a timestamptz arrived as ${JSON.stringify(value)}, not in ISO format`,
    );
  return new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}`);
};

/**
 * The names of a result's `timestamptz` columns, from the column types each driver reports
 * (postgres.js: `columns[].type`; PGlite: `fields[].dataTypeID`) — never guessed from the text.
 */
function timestampColumns(result: unknown): string[] {
  const r = result as {
    columns?: { name: string; type: number }[];
    fields?: { name: string; dataTypeID: number }[];
  };
  const columns =
    r.columns?.map((c) => ({ name: c.name, type: c.type })) ??
    r.fields?.map((f) => ({ name: f.name, type: f.dataTypeID }));
  if (!columns) throw new Error("usagekit: the driver's result carries no column types");
  return columns.filter((c) => c.type === TIMESTAMPTZ_OID).map((c) => c.name);
}

const dialect = new PgDialect({ casing: "snake_case" });

type Row = Record<string, unknown>;

async function run<T>(db: Db, query: Query, values?: Record<string, unknown>): Promise<T[]> {
  const result = (await prepareRaw(db, query).execute(values)) as Row[] | { rows: Row[] };
  const rows = Array.isArray(result) ? result : result.rows;
  if (rows.length === 0) return rows as T[];
  for (const name of timestampColumns(result)) {
    for (const row of rows) row[name] = toDate(row[name]);
  }
  return rows as T[];
}

/**
 * Runs a raw statement as a prepared statement (postgres.js keeps one per connection and query
 * text, so it is parsed and planned once, not on every call) and returns its rows, the same
 * shape on both drivers. Drizzle leaves raw `timestamptz` values as text on both; columns of that
 * type (by the type the driver reports, not by the look of the text) come back as `Date`s. Works
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
