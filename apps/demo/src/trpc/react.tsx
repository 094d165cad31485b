"use client";

import type { QueryClient } from "@tanstack/react-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchStreamLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { UsageProvider } from "@usagekit/react";
import type { AppRouter } from "@usagekit/usage-api";
import { useState } from "react";
import superjson from "superjson";
import { createQueryClient } from "./query-client";

let clientQueryClient: QueryClient | undefined;
const getQueryClient = () => {
  // The server makes a new client per request; the browser keeps one.
  if (typeof window === "undefined") return createQueryClient();
  return (clientQueryClient ??= createQueryClient());
};

export const { useTRPC, TRPCProvider } = createTRPCContext<AppRouter>();

/** usagekit's hooks and components (`@usagekit/react`) talk to this client's `usage` router. */
function UsageBridge(props: { children: React.ReactNode }) {
  return <UsageProvider api={useTRPC().usage}>{props.children}</UsageProvider>;
}

export function TRPCReactProvider(props: { children: React.ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchStreamLink({ transformer: superjson, url: "/api/trpc" })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <UsageBridge>{props.children}</UsageBridge>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
