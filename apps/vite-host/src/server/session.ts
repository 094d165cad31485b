import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { env } from "./env.js";

// The host's own sign-in, kept tiny (use your real auth here): a signed cookie with the user's
// id. usagekit only ever sees the id the host resolved from it.
const COOKIE = "flashcards_user";
const sign = (id: string) => createHmac("sha256", env.SESSION_SECRET).update(id).digest("hex");

/** The signed-in user's id from the `cookie` header, or null. */
export function readSession(cookie: string | undefined): string | null {
  const value = cookie?.match(new RegExp(`(?:^|; )${COOKIE}=([^;]*)`))?.[1];
  const [id, mac] = decodeURIComponent(value ?? "").split("|");
  if (!id || !mac || mac.length !== 64) return null;
  return timingSafeEqual(Buffer.from(mac), Buffer.from(sign(id))) ? id : null;
}

/** `POST /sign-in` with a form field `name`: sets the cookie and goes back to the app. */
export async function signIn(req: IncomingMessage, res: ServerResponse) {
  let body = "";
  for await (const chunk of req) body += chunk;
  const id = new URLSearchParams(body).get("name") ?? "";
  res.writeHead(303, {
    location: "/",
    "set-cookie": `${COOKIE}=${encodeURIComponent(`${id}|${sign(id)}`)}; HttpOnly; SameSite=Lax; Path=/`,
  });
  res.end();
}
