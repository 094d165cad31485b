import { NextResponse } from "next/server";
import { findDemoUser } from "~/lib/demo-users";
import { SESSION_COOKIE, sessionCookieOptions, signSession } from "~/server/session";

/** The demo sign-in form posts a demo user's id here; the answer sets the signed cookie. */
export async function POST(req: Request) {
  const form = await req.formData().catch(() => null);
  const user = findDemoUser(String(form?.get("userId") ?? ""));
  if (!user) return NextResponse.json({ error: "unknown demo user" }, { status: 400 });
  // A relative Location: behind a proxy or on 127.0.0.1, req.url may name another host.
  const home = user.role === "admin" ? "/insights" : "/dashboard";
  const response = new NextResponse(null, { status: 303, headers: { location: home } });
  response.cookies.set(SESSION_COOKIE, signSession(user.id), sessionCookieOptions(req));
  return response;
}
