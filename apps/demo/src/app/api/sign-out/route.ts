import { NextResponse } from "next/server";
import { readSessionCookie, revokeSession, SESSION_COOKIE } from "~/server/session";

/** Ends the session on the server too: a copy of the cookie stops working. */
export async function POST(req: Request) {
  await revokeSession(readSessionCookie(req.headers.get("cookie")));
  const response = new NextResponse(null, { status: 303, headers: { location: "/sign-in" } });
  response.cookies.delete(SESSION_COOKIE);
  return response;
}
