"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { refundSession } from "~/app/insights/refund-actions";
import type { ActionResult } from "~/server/action-result";
import type { Session } from "~/server/sessions";
import { learners } from "~/lib/demo-users";

const nameOf = (userId: string) => learners.find((u) => u.id === userId)?.name ?? userId;

/** The learners' latest sessions, each refundable once with a reason (a correction). */
export function RefundsCard({ sessions }: { sessions: Session[] }) {
  const router = useRouter();
  const [reason, setReason] = useState("The session failed on our side");
  const [result, setResult] = useState<ActionResult | null>(null);
  const [pending, startTransition] = useTransition();
  const refund = (s: Session) =>
    startTransition(async () => {
      setResult(await refundSession({ userId: s.userId, key: s.key, reason }));
      router.refresh();
    });
  return (
    <section className="card" data-testid="refunds">
      <h2>Refund a session</h2>
      <label>
        Reason <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      {result && (
        <p role={result.ok ? "status" : "alert"} className={result.ok ? "notice" : "notice error"}>
          {result.message}
        </p>
      )}
      {sessions.length === 0 ? (
        <p className="muted">No completed sessions yet.</p>
      ) : (
        <ul>
          {sessions.map((s) => (
            <li key={`${s.userId}-${s.key}`} data-key={s.key}>
              {nameOf(s.userId)} · {s.occurredAt} UTC · {Math.round(s.seconds / 60)} min{" "}
              {s.refunded ? (
                <span className="muted">refunded</span>
              ) : (
                <button disabled={pending} onClick={() => refund(s)}>
                  Refund
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
