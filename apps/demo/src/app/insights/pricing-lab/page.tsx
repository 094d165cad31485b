import { Nav } from "~/components/nav";
import { PricingLab } from "~/components/pricing-lab";
import { shiftMonth } from "~/lib/features";
import { requireUser } from "~/server/auth";
import { currentMonth } from "~/server/months";
import "./pricing-lab.css";

export const dynamic = "force-dynamic";

/** How many months back the lab offers to replay. */
const MONTHS_OFFERED = 12;

export default async function PricingLabPage() {
  const user = await requireUser("admin");
  const current = currentMonth();
  const months = Array.from({ length: MONTHS_OFFERED }, (_, k) => shiftMonth(current, -k));
  return (
    <>
      <Nav user={user} />
      <main>
        <h1 className="title">Pricing lab</h1>
        <p className="muted">
          Change a plan&apos;s price or limits and replay the chosen months&apos; usage under that
          draft: every recorded event and refused attempt, per learner in time order, at the plan
          they were on. Today&apos;s figures stand beside the draft&apos;s. Months are UTC calendar
          months.
        </p>
        <PricingLab months={months} />
      </main>
    </>
  );
}
