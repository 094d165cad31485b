"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { SeedStatus } from "~/server/seed-status";

const count = (n: number) => n.toLocaleString("en-US");

/**
 * While the demo data is being written the app already answers; this says so, with how far it
 * is, and refreshes the page's numbers when it is done.
 */
export function Preparing({ initial }: { initial: SeedStatus }) {
  const [status, setStatus] = useState(initial);
  const router = useRouter();
  const ready = status.phase === "ready";
  useEffect(() => {
    if (ready) return;
    const check = () =>
      void fetch("/api/demo-status", { cache: "no-store" })
        .then((response) => response.json() as Promise<SeedStatus>)
        .then((next) => {
          setStatus(next);
          if (next.phase === "ready") router.refresh();
        })
        .catch(() => undefined);
    check(); // a page rendered ahead of time may carry an old status
    const timer = setInterval(check, 2000);
    return () => clearInterval(timer);
  }, [ready, router]);
  if (ready) return null;
  return (
    <div className="banner" role="status" data-testid="preparing" data-phase={status.phase}>
      {status.phase === "failed" ? (
        <>The demo data could not be written; the server log says why.</>
      ) : status.phase === "learners" ? (
        <>Preparing demo data: the named learners' year. Numbers fill in as it goes.</>
      ) : (
        <>
          Preparing demo data: day {count(status.day)} of {count(status.days)} for{" "}
          {count(status.learners)} generated learners ({count(status.events)} events so far).
          Numbers fill in as it goes.
        </>
      )}
    </div>
  );
}
