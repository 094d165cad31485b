"use client";

import { useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { AppRouter } from "@usagekit/usage-api";
import { useCallback } from "react";
import type { ActionResult } from "~/app/dashboard/actions";
import { useTRPC } from "~/trpc/react";

/** This month's usage (hydrated from the server render). */
export function useCurrentUsage() {
  const trpc = useTRPC();
  return useSuspenseQuery(trpc.usage.getCurrentUsage.queryOptions({})).data;
}

/** Refetches everything the usage API showed, after a write. */
export function useRefreshUsage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    () => queryClient.invalidateQueries({ queryKey: trpc.usage.pathKey() }),
    [queryClient, trpc],
  );
}

/** An API error as the dashboard shows it. */
export function toActionResult(error: unknown): ActionResult {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data;
    return { ok: false, message: error.message, limitExceeded: data?.limitExceeded ?? null };
  }
  return {
    ok: false,
    message: error instanceof Error ? error.message : String(error),
    limitExceeded: null,
  };
}
