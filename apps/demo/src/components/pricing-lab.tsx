"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { monthSoFar } from "~/lib/features";
import { draftOf, formFromCatalog, readableDraftError } from "~/lib/draft";
import { useTRPC } from "~/trpc/react";
import { DraftFields } from "./draft-form";
import { LabMonth } from "./lab-results";

interface Asked {
  draft: unknown;
  fromMonth: string;
  months: number;
}

/**
 * The app owner's pricing lab: edit each plan's price and limits, and see what the chosen months
 * would have been under that draft (`analytics.simulateCatalog`) beside what they were.
 * `months`: the months on offer, newest (the current one) first.
 */
export function PricingLab({ months }: { months: string[] }) {
  const trpc = useTRPC();
  const current = months[0]!;
  const [form, setForm] = useState(formFromCatalog);
  const [fromMonth, setFromMonth] = useState(current);
  const [span, setSpan] = useState(1);
  // The real catalog first (an empty draft): today's figures on both sides.
  const [asked, setAsked] = useState<Asked>({ draft: {}, fromMonth: current, months: 1 });
  const answer = useQuery({
    ...trpc.analytics.simulateCatalog.queryOptions(asked),
    staleTime: Infinity,
  });
  // At most 3 months, none of them after the current one.
  const spans = [1, 2, 3].filter((n) => n <= months.indexOf(fromMonth) + 1);

  const reset = () => {
    setForm(formFromCatalog());
    setAsked({ draft: {}, fromMonth, months: span });
  };
  return (
    <>
      <form
        className="card"
        aria-label="Draft catalog"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ draft: draftOf(form), fromMonth, months: span });
        }}
      >
        <div className="row wrap">
          <label>
            From{" "}
            <select
              value={fromMonth}
              data-testid="lab-from"
              onChange={(e) => {
                setFromMonth(e.target.value);
                setSpan(1);
              }}
            >
              {months.map((m) => (
                <option key={m} value={m}>
                  {monthSoFar(m, current)}
                </option>
              ))}
            </select>
          </label>
          <label>
            Months{" "}
            <select
              value={span}
              data-testid="lab-months"
              onChange={(e) => setSpan(Number(e.target.value))}
            >
              {spans.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        <DraftFields form={form} onChange={setForm} />
        <div className="row wrap">
          <button type="submit" disabled={answer.isFetching}>
            {answer.isFetching ? "Simulating…" : "Simulate the draft"}
          </button>
          <button type="button" className="secondary" onClick={reset}>
            Reset to the real catalog
          </button>
        </div>
        {answer.error && (
          <p className="notice error" role="alert" data-testid="lab-error">
            The draft was not simulated: {readableDraftError(answer.error.message)}
          </p>
        )}
      </form>
      <div aria-live="polite" data-testid="lab-results" data-busy={answer.isFetching}>
        {answer.data?.months.map((m) => (
          <LabMonth key={m.month} data={m} current={current} />
        ))}
      </div>
    </>
  );
}
