import { queryRows } from "@usagekit/db";
import { sql } from "drizzle-orm";
import { getDb } from "~/server/db";

export const dynamic = "force-dynamic";

/** The database answers; which migrations are recorded where (the host's, usagekit's). */
export async function GET() {
  const db = await getDb();
  const [row] = await queryRows<{ host: number; usagekit: number; tables: string[] }>(
    db,
    sql`SELECT (SELECT count(*) FROM drizzle.__drizzle_migrations)::int AS host,
               (SELECT count(*) FROM usagekit.__migrations)::int AS usagekit,
               (SELECT array_agg(schemaname || '.' || tablename ORDER BY schemaname, tablename) FROM pg_tables
                 WHERE schemaname IN ('public', 'usagekit')) AS tables`,
  );
  return Response.json(row);
}
