import { Nav } from "~/components/nav";
import { Dashboard } from "~/components/dashboard";
import { requireUser } from "~/server/auth";
import { now } from "~/server/clock";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import "./dashboard.css";

export const dynamic = "force-dynamic";

export default async function DashboardPage() {
  const user = await requireUser();
  await prefetch(
    trpc.usage.getCurrentUsage.queryOptions({}),
    trpc.usage.getBillingHistory.queryOptions({ months: 1 }),
    trpc.usage.getLifetimeStats.queryOptions({}),
    trpc.usage.getUsageHistory.queryOptions({ months: 12 }),
    trpc.usage.getMilestones.queryOptions({}),
    trpc.usage.getRecommendations.queryOptions({}),
    trpc.usage.listAlerts.queryOptions({}),
    trpc.usage.getForecast.queryOptions({}),
  );
  return (
    <>
      <Nav user={user} />
      <main>
        <h1 className="title">{user.name}&apos;s practice</h1>
        <HydrateClient>
          <Dashboard timezone={user.timezone} now={now().toISOString()} />
        </HydrateClient>
      </main>
    </>
  );
}
