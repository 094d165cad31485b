import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter, MAX_BATCH_CALLS, MAX_BODY_BYTES, MAX_DRAIN_BYTES } from "@usagekit/usage-api";
import { createContext } from "~/server/context";

const tooLarge = () =>
  Response.json(
    { error: { code: "PAYLOAD_TOO_LARGE", message: "body over 1 MB" } },
    { status: 413, headers: { connection: "close" } },
  );

/**
 * The request with a body of at most 1 MB, or null. A declared length over the limit is refused
 * before anything is parsed, a chunked body once it passes the limit; either way the rest is read
 * and dropped (up to 32 MB) before answering, so ordinary clients read the 413 instead of a reset.
 */
async function withinLimit(req: Request): Promise<Request | null> {
  const declared = Number(req.headers.get("content-length") ?? -1);
  // No body, or a declared length within the limit (the server holds the client to it).
  if (!req.body || (declared >= 0 && declared <= MAX_BODY_BYTES)) return req;
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.byteLength;
    if (size > MAX_DRAIN_BYTES) {
      await reader.cancel();
      return null;
    }
    if (size <= MAX_BODY_BYTES && declared < 0) chunks.push(part.value);
  }
  if (size > MAX_BODY_BYTES || declared > MAX_BODY_BYTES) return null;
  return new Request(req, { body: Buffer.concat(chunks), duplex: "half" } as RequestInit);
}

async function handler(incoming: Request) {
  const req = await withinLimit(incoming);
  if (!req) return tooLarge();
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH_CALLS,
    createContext: () => createContext(req.headers),
  });
}

export { handler as GET, handler as POST };
