import "server-only";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";
import { appRouter } from "~/server/root";
import { createContext } from "~/server/trpc";
import { createQueryClient } from "./query-client";

/** One query client per server request. */
export const getQueryClient = cache(createQueryClient);

/** RSC side of tRPC: the page prefetches here, client components hydrate. */
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
