"use client";

import { useRefreshUsage } from "@usagekit/react";
import { useEffect, useState, useTransition } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import {
  endVoiceSession,
  extendVoiceSession,
  startVoiceSession,
} from "~/app/dashboard/voice-actions";
import type { VoiceSession } from "~/app/dashboard/voice-actions";
import { useClickKey } from "./use-click-key";

/** mm:ss of a number of seconds. */
const clock = (seconds: number) =>
  `${String(Math.floor(seconds / 60)).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;

/** The seconds left until `deadline` (a browser time), ticking every second. */
function useSecondsLeft(deadline: number | null) {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (deadline === null) return;
    const tick = () => setLeft(Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }, [deadline]);
  return left;
}

/**
 * A realtime voice session, as the learning app runs one: "Start" holds minutes and a realtime
 * session before the first word (refused at the plan's limit), a live countdown of the hold,
 * "Extend" spends a session extension for 5 more minutes, "End" records what was used and frees
 * the rest. The meters show the hold as held while it runs.
 */
export function VoiceSessionCard({ onResult }: { onResult: (result: ActionResult) => void }) {
  const [session, setSession] = useState<(VoiceSession & { deadline: number }) | null>(null);
  const [pending, startTransition] = useTransition();
  const refresh = useRefreshUsage();
  const clickKey = useClickKey();
  const left = useSecondsLeft(session?.deadline ?? null);

  const run = (work: () => Promise<ActionResult & { session?: VoiceSession }>, ended = false) =>
    startTransition(async () => {
      const answer = await work();
      onResult(answer);
      if (answer.ok && answer.session)
        setSession({ ...answer.session, deadline: Date.now() + answer.session.expiresInMs });
      if (answer.ok && ended) setSession(null);
      await refresh();
    });

  return (
    <section className="card" data-testid="voice-session">
      <h2>Voice session</h2>
      {session ? (
        <div className="action">
          <p data-testid="voice-hold">
            {Math.round(session.heldSeconds / 60)} min held ·{" "}
            {left > 0 ? (
              <>
                the hold ends in <span data-testid="voice-countdown">{clock(left)}</span>
              </>
            ) : (
              "the hold has expired: it no longer counts"
            )}
          </p>
          <div className="row">
            <button
              disabled={pending}
              onClick={(click) => {
                const requestId = clickKey("extend", click);
                run(() => extendVoiceSession({ session, requestId }));
              }}
            >
              Extend (+5 min)
            </button>
            <button
              disabled={pending}
              onClick={() => run(() => endVoiceSession({ session }), true)}
            >
              End
            </button>
          </div>
        </div>
      ) : (
        <button
          disabled={pending}
          onClick={(click) => {
            const requestId = clickKey("voice", click);
            run(() => startVoiceSession({ requestId }));
          }}
        >
          Start a voice session
        </button>
      )}
    </section>
  );
}
