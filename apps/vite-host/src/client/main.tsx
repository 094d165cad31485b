import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { UsageProvider } from "@usagekit/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { catalog } from "../catalog";
import { App } from "./app";
import { TRPCProvider, trpcClient, useTRPC } from "./trpc";

const queryClient = new QueryClient();

/** usagekit's hooks and components: the host's router (where `usage` is mounted), its catalog. */
function WithUsage(props: { children: React.ReactNode }) {
  return (
    <UsageProvider api={useTRPC().usage} catalog={catalog}>
      {props.children}
    </UsageProvider>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <WithUsage>
          <App />
        </WithUsage>
      </TRPCProvider>
    </QueryClientProvider>
  </StrictMode>,
);
