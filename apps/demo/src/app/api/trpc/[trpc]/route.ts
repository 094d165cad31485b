import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@usagekit/usage-api";
import { createContext } from "~/server/context";

const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  Response.json(
    { error: { code: "PAYLOAD_TOO_LARGE", message: "body over 1 MB" } },
    { status: 413 },
  );

/**
 * The request with a body of at most 1 MB, or null: a declared length is checked before anything
 * is read; a chunked body is read up to the limit, never parsed.
 */
async function withinLimit(req: Request): Promise<Request | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null || !req.body) return Number(declared ?? 0) > MAX_BODY_BYTES ? null : req;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return null;
    }
    chunks.push(part.value);
  }
  return new Request(req, { body: Buffer.concat(chunks), duplex: "half" } as RequestInit);
}

async function handler(incoming: Request) {
  const req = await withinLimit(incoming);
  if (!req) return tooLarge();
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
