import { queryRows } from "@usagekit/db";
import type { Db } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { badRequest } from "../errors";

/**
 * Names PostgreSQL's zone files accept that are not IANA zones: `localtime` (whatever zone the
 * database server runs in), `posixrules`, `Factory`, and the `posix/…` and `right/…` copies.
 */
const NOT_IANA = /^(localtime|posixrules|factory|posix\/.*|right\/.*)$/i;

/** Canonical names already looked up, per requested name (the zone data does not change). */
const known = new Map<string, string>();

/**
 * The canonical name of the IANA zone `name` as the database's own zone data knows it (matched
 * without regard to case), or BAD_REQUEST naming `timezone`. Offsets such as "+05:00" and POSIX
 * strings are not zone names (PostgreSQL would read their sign the other way round).
 */
export async function canonicalTimezone(db: Db, name: string): Promise<string> {
  const cached = known.get(name);
  if (cached) return cached;
  const [row] = await queryRows<{ name: string }>(
    db,
    sql`SELECT name FROM pg_timezone_names WHERE lower(name) = lower(${name})
      ORDER BY name = ${name} DESC, name LIMIT 1`,
  );
  if (!row || !/^[A-Za-z]/.test(row.name) || NOT_IANA.test(row.name)) {
    throw badRequest(
      `timezone: ${JSON.stringify(name)} is not a time zone the database knows (use an IANA name such as Europe/Berlin)`,
    );
  }
  known.set(name, row.name);
  return row.name;
}
