"use client";

import type { QueryClient } from "@tanstack/react-query";
import { QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { UsageProvider } from "@usagekit/react";
import { useState } from "react";
import superjson from "superjson";
import type { AppRouter } from "~/server/root";
import { createQueryClient } from "./query-client";

let clientQueryClient: QueryClient | undefined;
const getQueryClient = () =>
  typeof window === "undefined" ? createQueryClient() : (clientQueryClient ??= createQueryClient());

export const { useTRPC, TRPCProvider } = createTRPCContext<AppRouter>();

/** usagekit's hooks and components talk to the host's router, where `usage` is mounted. */
function UsageBridge(props: { children: React.ReactNode }) {
  return <UsageProvider api={useTRPC().usage}>{props.children}</UsageProvider>;
}

export function TRPCReactProvider(props: { children: React.ReactNode }) {
  const queryClient = getQueryClient();
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ transformer: superjson, url: "/api/trpc" })],
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
