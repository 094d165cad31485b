import { sql } from "drizzle-orm";
import { getDb } from "~/server/db";

export const dynamic = "force-dynamic";

/** The database answers; which migrations are recorded where (the host's, usagekit's). */
export async function GET() {
  const db = await getDb();
  type Row = { host: number; usagekit: number; tables: string[] };
  const result = await db.execute<Row>(
    sql`SELECT (SELECT count(*) FROM drizzle.__drizzle_migrations)::int AS host,
               (SELECT count(*) FROM usagekit.__migrations)::int AS usagekit,
               (SELECT array_agg(schemaname || '.' || tablename ORDER BY schemaname, tablename) FROM pg_tables
                 WHERE schemaname IN ('public', 'usagekit')) AS tables`,
  );
  // postgres.js answers an array of rows, PGlite `{ rows }`.
  const rows = (Array.isArray(result) ? result : (result as { rows: Row[] }).rows) as Row[];
  return Response.json(rows[0]);
}
