import type { Query, SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Db } from "./client";

/** PostgreSQL's ISO output of a `timestamptz`, e.g. `2026-11-01 00:00:00.5+01`. */
const TIMESTAMPTZ = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;

const reviveTimestamp = (value: unknown): unknown => {
  if (typeof value !== "string") return value;
  const m = TIMESTAMPTZ.exec(value);
  return m ? new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? "00"}`) : value;
};

const dialect = new PgDialect({ casing: "snake_case" });

type Row = Record<string, unknown>;

async function run<T>(db: Db, query: Query, values?: Record<string, unknown>): Promise<T[]> {
  const prepared = db._.session.prepareQuery(query, undefined, "usagekit", false);
  const result = (await prepared.execute(values)) as Row[] | { rows: Row[] };
  const rows = Array.isArray(result) ? result : result.rows;
  for (const row of rows) {
    for (const key in row) row[key] = reviveTimestamp(row[key]);
  }
  return rows as T[];
}

/**
 * Runs a raw statement as a prepared statement (postgres.js keeps one per connection and query
 * text, so it is parsed and planned once, not on every call) and returns its rows, the same
 * shape on both drivers. Drizzle leaves raw `timestamptz` values as text on both; they come back
 * as `Date`s. Works inside `db.transaction` too.
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
