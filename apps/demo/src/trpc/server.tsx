import "server-only";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { TRPCQueryOptions } from "@trpc/tanstack-react-query";
import { appRouter } from "@usagekit/usage-api";
import { headers } from "next/headers";
import { cache } from "react";
import { createContext } from "~/server/context";
import { createQueryClient } from "./query-client";

/** One query client per server request. */
export const getQueryClient = cache(createQueryClient);

/** RSC side of tRPC: prefetch queries here, hydrate them in client components. */
export const trpc = createTRPCOptionsProxy({
  router: appRouter,
  ctx: cache(async () => createContext(await headers())),
  queryClient: getQueryClient,
});

export function HydrateClient(props: { children: React.ReactNode }) {
  return (
    <HydrationBoundary state={dehydrate(getQueryClient())}>{props.children}</HydrationBoundary>
  );
}

/** Awaits each query so the page renders with data (no blank flash) and errors surface here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any tRPC query's options
export async function prefetch(...queries: ReturnType<TRPCQueryOptions<any>>[]) {
  const queryClient = getQueryClient();
  await Promise.all(queries.map((q) => queryClient.fetchQuery(q)));
}
