import { Nav } from "~/components/nav";
import { Insights } from "~/components/insights";
import { MonetizationCard } from "~/components/monetization-card";
import { RefundsCard } from "~/components/refunds";
import { CANDIDATES_SHOWN, shiftMonth } from "~/lib/features";
import { requireUser } from "~/server/auth";
import { chosenMonth, currentMonth } from "~/server/months";
import { recentSessions } from "~/server/sessions";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export const dynamic = "force-dynamic";

export default async function InsightsPage(props: { searchParams: Promise<{ month?: string }> }) {
  const user = await requireUser("admin");
  const current = currentMonth();
  const month = chosenMonth((await props.searchParams).month);
  const fromMonth = shiftMonth(month, -5);
  await prefetch(
    trpc.analytics.featureAdoption.queryOptions({ month }),
    trpc.analytics.userSegments.queryOptions({ month }),
    trpc.analytics.retention.queryOptions({ fromMonth, months: 6 }),
    trpc.analytics.dropOff.queryOptions({ month }),
    trpc.analytics.overage.queryOptions({ month }),
    trpc.analytics.upgradeCandidates.queryOptions({ month, limit: CANDIDATES_SHOWN }),
    trpc.analytics.featureValue.queryOptions({ month }),
    trpc.analytics.monetization.queryOptions({ month }),
  );
  const sessions = await recentSessions();
  return (
    <>
      <Nav user={user} />
      <main>
        <HydrateClient>
          <Insights
            month={month}
            fromMonth={fromMonth}
            previous={shiftMonth(month, -1)}
            next={month < current ? shiftMonth(month, 1) : null}
            current={current}
          />
          <MonetizationCard month={month} />
        </HydrateClient>
        <RefundsCard sessions={sessions} />
      </main>
    </>
  );
}
