import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@usagekit/usage-api";
import { createContext } from "~/server/context";

const MAX_BODY_BYTES = 1024 * 1024;
/** A refused body is read (and dropped) up to this much, so the client sees the 413. */
const MAX_DRAIN_BYTES = 32 * 1024 * 1024;
/** tRPC request batching: at most this many calls per request (contract: 50). */
const MAX_BATCH_CALLS = 50;

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
  if (!req.body) return req;
  const declared = Number(req.headers.get("content-length") ?? -1);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.byteLength;
    if (size > MAX_DRAIN_BYTES) {
      await reader.cancel();
      return null;
    }
    if (size <= MAX_BODY_BYTES && declared <= MAX_BODY_BYTES) chunks.push(part.value);
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
    // Internal errors are masked and logged with their errorId by usagekit itself.
  });
}

export { handler as GET, handler as POST };
