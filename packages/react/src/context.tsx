"use client";

import type { TRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@usagekit/usage-api";
import { createContext, useContext } from "react";

/**
 * usagekit's procedures on the host's tRPC React client: `useTRPC().usage`, wherever the host
 * mounted `usageRouter` under the key `usage`.
 */
export type UsageApi = TRPCOptionsProxy<AppRouter>["usage"];

const UsageApiContext = createContext<UsageApi | null>(null);

/** Gives usagekit's hooks and components the host's client: `<UsageProvider api={trpc.usage}>`. */
export function UsageProvider(props: { api: UsageApi; children: React.ReactNode }) {
  return <UsageApiContext.Provider value={props.api}>{props.children}</UsageApiContext.Provider>;
}

export function useUsageApi(): UsageApi {
  const api = useContext(UsageApiContext);
  if (!api) throw new Error("usagekit: wrap the app in <UsageProvider api={useTRPC().usage}>");
  return api;
}
