import { createTRPCClient, httpLink } from "@trpc/client";
import type { AppRouter } from "@usagekit/usage-api";
import superjson from "superjson";

const client = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: process.env.USAGE_API_URL ?? "http://127.0.0.1:3001/api/trpc",
      transformer: superjson,
      headers: { authorization: `Bearer ${process.env.USAGE_SERVICE_TOKEN}` },
    }),
  ],
});
const result = await client.usage.recordUsage.mutate({ userId: "user_2abc", seconds: 60 });
console.log(result.recorded, result.usage.seconds);
