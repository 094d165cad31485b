import { seedStatus } from "~/server/seed-status";

export const dynamic = "force-dynamic";

/** How far the demo data is: the "preparing data" banner polls it. */
export function GET() {
  return Response.json(seedStatus(), { headers: { "cache-control": "no-store" } });
}
