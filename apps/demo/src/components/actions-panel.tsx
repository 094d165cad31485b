"use client";

import { useMutation } from "@tanstack/react-query";
import type { Feature } from "@usagekit/usage-api";
import { useState, useTransition } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import { practiseConversation } from "~/app/dashboard/actions";
import { useTRPC } from "~/trpc/react";
import { allowance, useRefreshUsage, useUsage } from "@usagekit/react";
import { ActionGate } from "./action-gate";
import { useClickKey } from "./use-click-key";
import { toActionResult } from "./use-usage";

const quickActions: { label: string; feature: Feature; amount: number; done: string }[] = [
  {
    label: "Export to Anki",
    feature: "ankiExports",
    amount: 1,
    done: "Exported your deck to Anki.",
  },
  {
    label: "Create a custom phrase",
    feature: "customPhrases",
    amount: 1,
    done: "Saved a custom phrase.",
  },
  {
    label: "Use advanced voice (1 min)",
    feature: "advancedVoiceSeconds",
    amount: 60,
    done: "Used a minute of advanced voice.",
  },
  {
    label: "Extend session",
    feature: "sessionExtensions",
    amount: 1,
    done: "Extended your session.",
  },
];

/**
 * What a learner does; every action is recorded (and refused at a hard limit) by the server,
 * under the idempotency key of the click that asked for it (a double-click records once).
 */
export function ActionsPanel({ onResult }: { onResult: (result: ActionResult) => void }) {
  const trpc = useTRPC();
  const refresh = useRefreshUsage();
  const [minutes, setMinutes] = useState(5);
  const [practising, startPractice] = useTransition();
  const record = useMutation(trpc.usage.recordUsage.mutationOptions());
  const usage = useUsage();
  const practice = allowance(usage, {
    conversations: 1,
    realtimeSessions: 1,
    seconds: minutes * 60,
  });

  const clickKey = useClickKey();

  const run = (action: (typeof quickActions)[number], click: React.MouseEvent) =>
    record.mutate(
      {
        [action.feature]: action.amount,
        enforceLimits: true,
        idempotencyKey: `${action.feature}-${clickKey(action.feature, click)}`,
      },
      {
        onSuccess: () => onResult({ ok: true, message: action.done }),
        onError: (error) => onResult(toActionResult(error)),
        onSettled: () => void refresh(),
      },
    );

  const practise = (click: React.MouseEvent) => {
    const requestId = clickKey("practice", click);
    startPractice(async () => {
      onResult(await practiseConversation({ minutes, requestId }));
      await refresh();
    });
  };

  return (
    <section className="card">
      <h2>Practise</h2>
      <div className="action">
        <div className="row">
          <label>
            Minutes{" "}
            <select
              value={minutes}
              onChange={(e) => setMinutes(Number(e.target.value))}
              data-testid="minutes"
            >
              {[1, 5, 10, 15, 30, 45].map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <button
            onClick={(click) => !practising && practice.blockedBy === null && practise(click)}
            aria-disabled={practising || practice.blockedBy !== null || undefined}
          >
            {practising ? "Recording…" : "Practise a conversation"}
          </button>
        </div>
        <ActionGate
          id="practice"
          {...practice}
          each={{ one: "practice", many: "practices" }}
          onResult={onResult}
        />
      </div>
      {quickActions.map((action) => {
        const gate = allowance(usage, { [action.feature]: action.amount });
        return (
          <div className="action" key={action.feature}>
            <button
              onClick={(click) =>
                !record.isPending && gate.blockedBy === null && run(action, click)
              }
              aria-disabled={record.isPending || gate.blockedBy !== null || undefined}
            >
              {action.label}
            </button>
            <ActionGate id={action.feature} {...gate} onResult={onResult} />
          </div>
        );
      })}
    </section>
  );
}
