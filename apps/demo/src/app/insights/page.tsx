import { Nav } from "~/components/nav";
import { Insights } from "~/components/insights";
import { MonetizationCard } from "~/components/monetization-card";
import { RefundsCard } from "~/components/refunds";
import { CANDIDATES_SHOWN, shiftMonth } from "~/lib/features";
import { requireUser } from "~/server/auth";
import { now } from "~/server/clock";
import { recentSessions } from "~/server/sessions";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export const dynamic = "force-dynamic";

/** This UTC month by the demo's clock. */
const currentMonth = () => now().toISOString().slice(0, 7);

export default async function InsightsPage(props: { searchParams: Promise<{ month?: string }> }) {
  const user = await requireUser("admin");
  const requested = (await props.searchParams).month;
  const current = currentMonth();
  // A month from the URL, if it is a real one and not ahead of this one (a future month has no data).
  const month =
    requested && /^[1-9]\d{3}-(0[1-9]|1[0-2])$/.test(requested) && requested <= current
      ? requested
      : current;
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
          />
          <MonetizationCard month={month} />
        </HydrateClient>
        <RefundsCard sessions={sessions} />
      </main>
    </>
  );
}
