"use client";

import { useQuery, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter, LimitExceeded } from "@usagekit/usage-api";
import { useCallback } from "react";
import { useUsageApi } from "./context";
import type { AnyFeature } from "./names";
import type { Feature } from "@usagekit/db/catalog";

/** The signed-in user's usage this month (suspends until loaded; hydrates from a server prefetch). */
export function useUsage() {
  const api = useUsageApi();
  return useSuspenseQuery(api.getCurrentUsage.queryOptions({})).data;
}

/** Whether the signed-in user may use `amount` of `feature` now (the server decides). */
export function useCanUse(feature: AnyFeature, amount = 1) {
  const api = useUsageApi();
  // The server parses `feature` with the catalog it runs; typed here with the default one's names.
  return useQuery(api.canUseFeature.queryOptions({ feature: feature as Feature, amount }));
}

/** Refetches everything usagekit showed: call it after a write that recorded usage. */
export function useRefreshUsage() {
  const api = useUsageApi();
  const queryClient = useQueryClient();
  return useCallback(
    () => queryClient.invalidateQueries({ queryKey: api.pathKey() }),
    [queryClient, api],
  );
}

/** The refusal a call failed with (`FORBIDDEN` with `limitExceeded`), or null for any other outcome. */
export function limitExceededOf(error: unknown): LimitExceeded | null {
  if (!(error instanceof TRPCClientError)) return null;
  return (error as TRPCClientError<AppRouter>).data?.limitExceeded ?? null;
}
