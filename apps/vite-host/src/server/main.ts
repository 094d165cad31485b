import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createDb } from "@usagekit/db";
import { env } from "./env.js";
import { appRouter, createContext } from "./router.js";
import { readSession, signIn } from "./session.js";

// Opens PostgreSQL (or PGlite) and applies the pending migrations of the app's catalog (written
// by `npx usagekit generate --catalog src/catalog.ts` into drizzle-usagekit/).
const { db } = await createDb({
  url: env.DATABASE_URL,
  dataDir: env.DATA_DIR,
  migrationsFolder: fileURLToPath(new URL("../../drizzle-usagekit", import.meta.url)),
});

const trpc = createHTTPHandler({
  router: appRouter,
  basePath: "/api/trpc/",
  createContext: ({ req }) => createContext({ db, userId: readSession(req.headers.cookie) }),
});

const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css" };

/** The built client (`vite build`): its assets, and index.html for every other path. */
async function serveClient(path: string) {
  const file = /^\/assets\/[\w.-]+$/.test(path) ? path : "/index.html";
  const body = await readFile(new URL(`../client${file}`, import.meta.url));
  return { body, type: TYPES[extname(file)] ?? "text/html" };
}

createServer((req, res) => {
  const { pathname } = new URL(req.url ?? "/", "http://host");
  if (pathname.startsWith("/api/trpc/")) return void trpc(req, res);
  if (req.method === "POST" && pathname === "/sign-in") return void signIn(req, res);
  serveClient(pathname).then(
    ({ body, type }) => res.writeHead(200, { "content-type": type }).end(body),
    () => res.writeHead(404).end(),
  );
}).listen(env.PORT, () => console.log(`flashcards: http://127.0.0.1:${env.PORT}`));
