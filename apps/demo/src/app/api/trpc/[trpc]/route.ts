import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@usagekit/usage-api";
import { createContext } from "~/server/context";

const MAX_BODY_BYTES = 1024 * 1024;

function handler(req: Request) {
  // Refused before anything is read or parsed.
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    return Response.json(
      { error: { code: "PAYLOAD_TOO_LARGE", message: "body over 1 MB" } },
      { status: 413 },
    );
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext(req.headers),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path}:`, error);
    },
  });
}

export { handler as GET, handler as POST };
