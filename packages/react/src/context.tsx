"use client";

import type { TRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { AppRouter } from "@usagekit/usage-api";
import { createContext, useContext } from "react";
import { defaultCatalog } from "./names";
import type { Catalog } from "./names";

/**
 * usagekit's procedures on the host's tRPC React client: `useTRPC().usage`, wherever the host
 * mounted `usageRouter` under the key `usage`.
 */
export type UsageApi = TRPCOptionsProxy<AppRouter>["usage"];

/**
 * The `usage` of any host's client — one whose router was made for the host's own catalog
 * (`createUsageRouter(catalog)`) included: usagekit's hooks call only its reads.
 */
export type AnyUsageApi = Pick<UsageApi, "pathKey"> &
  Record<"getCurrentUsage" | "canUseFeature" | "listAlerts", object>;

const UsageContext = createContext<{ api: UsageApi; catalog: Catalog } | null>(null);

/**
 * Gives usagekit's hooks and components the host's client and catalog:
 * `<UsageProvider api={trpc.usage} catalog={catalog}>` (without `catalog`, usagekit's default).
 */
export function UsageProvider(props: {
  api: AnyUsageApi;
  catalog?: Catalog;
  children: React.ReactNode;
}) {
  const value = { api: props.api as UsageApi, catalog: props.catalog ?? defaultCatalog };
  return <UsageContext.Provider value={value}>{props.children}</UsageContext.Provider>;
}

function useUsageContext() {
  const value = useContext(UsageContext);
  if (!value) throw new Error("usagekit: wrap the app in <UsageProvider api={useTRPC().usage}>");
  return value;
}

export const useUsageApi = (): UsageApi => useUsageContext().api;

/** The catalog the provider was given (usagekit's default without one). */
export const useUsageCatalog = (): Catalog => useUsageContext().catalog;
