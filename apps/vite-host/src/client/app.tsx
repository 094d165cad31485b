import { useMutation, useQuery } from "@tanstack/react-query";
import { limitExceededOf, UpgradePrompt, UsageMeter, useRefreshUsage } from "@usagekit/react";
import type { LimitExceeded } from "@usagekit/usage-api";
import { Suspense, useState } from "react";
import { useTRPC } from "./trpc";

/** Exports flashcards, one export each; at the plan's limit the server refuses. */
function Flashcards() {
  const trpc = useTRPC();
  const refreshUsage = useRefreshUsage();
  const [refusal, setRefusal] = useState<LimitExceeded | null>(null);
  const exportCards = useMutation(
    trpc.usage.recordUsage.mutationOptions({
      onMutate: () => setRefusal(null),
      onError: (error) => setRefusal(limitExceededOf(error)),
      onSettled: () => refreshUsage(),
    }),
  );
  return (
    <>
      <UsageMeter feature="flashcardExports" />
      <button
        disabled={exportCards.isPending}
        onClick={() => exportCards.mutate({ flashcardExports: 1 })}
      >
        Export flashcards
      </button>
      {refusal && <UpgradePrompt limitExceeded={refusal} />}
    </>
  );
}

export function App() {
  const me = useQuery(useTRPC().me.queryOptions());
  if (me.isPending) return <p>Loading…</p>;
  if (!me.data)
    return (
      <form method="post" action="/sign-in">
        <label htmlFor="name">Your name</label> <input id="name" name="name" required />
        <button type="submit">Sign in</button>
      </form>
    );
  return (
    <main>
      <h1>Flashcards for {me.data}</h1>
      <Suspense fallback={<p>Loading your usage…</p>}>
        <Flashcards />
      </Suspense>
    </main>
  );
}
