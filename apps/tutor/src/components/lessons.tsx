"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import {
  limitExceededOf,
  UpgradePrompt,
  UsageMeter,
  useRefreshUsage,
  useUsage,
} from "@usagekit/react";
import { catalog, tierNames } from "@usagekit/db/catalog";
import type { LimitExceeded } from "@usagekit/usage-api";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";

export function Lessons({ userId }: { userId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const usage = useUsage();
  const refreshUsage = useRefreshUsage();
  const list = useQuery(trpc.lessons.list.queryOptions());
  const [topic, setTopic] = useState("Ordering coffee");
  const [refusal, setRefusal] = useState<LimitExceeded | null>(null);
  const start = useMutation(
    trpc.lessons.start.mutationOptions({
      onMutate: () => setRefusal(null),
      onError: (error) => setRefusal(limitExceededOf(error)),
      onSettled: async () => {
        await refreshUsage();
        await queryClient.invalidateQueries({ queryKey: trpc.lessons.pathKey() });
      },
    }),
  );
  const atLimit = usage.features.conversations.remaining === 0;
  return (
    <section className="card">
      <p>
        Signed in as <strong data-testid="user-id">{userId}</strong> · {usage.tier} plan
      </p>
      <UsageMeter feature="conversations" />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate({ topic });
        }}
      >
        <label htmlFor="topic">Topic</label>
        <input id="topic" value={topic} onChange={(e) => setTopic(e.target.value)} />
        <button type="submit" disabled={start.isPending}>
          Start a lesson
        </button>
      </form>
      {refusal && (
        <UpgradePrompt limitExceeded={refusal} tier={usage.tier}>
          <ul data-testid="plans">
            {tierNames
              .filter((t) => Number(catalog.tiers[t].price) > 0)
              .map((t) => (
                <li key={t}>
                  {catalog.tiers[t].label}: ${catalog.tiers[t].price} a month,{" "}
                  {catalog.tiers[t].limits.conversations ?? "unlimited"} conversations
                </li>
              ))}
          </ul>
        </UpgradePrompt>
      )}
      {!refusal && atLimit && <p className="muted">Your next lesson needs a bigger plan.</p>}
      <h2>Your lessons</h2>
      <ul data-testid="lessons">
        {list.data?.map((lesson) => (
          <li key={lesson.id} data-status={lesson.status}>
            {lesson.topic} — {lesson.status}
          </li>
        ))}
      </ul>
    </section>
  );
}
