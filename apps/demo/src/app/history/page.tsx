import { Nav } from "~/components/nav";
import { BillingTable } from "~/components/billing-table";
import { HistoryTable } from "~/components/history-table";
import { requireUser } from "~/server/auth";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export const dynamic = "force-dynamic";

export default async function HistoryPage() {
  const user = await requireUser();
  await prefetch(
    trpc.usage.getUsageHistory.queryOptions({ months: 12 }),
    trpc.usage.getBillingHistory.queryOptions({ months: 12 }),
  );
  return (
    <>
      <Nav user={user} />
      <main>
        <h1 className="title">History</h1>
        <HydrateClient>
          <HistoryTable />
          <BillingTable />
        </HydrateClient>
      </main>
    </>
  );
}
