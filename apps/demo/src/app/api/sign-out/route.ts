import { NextResponse } from "next/server";
import { SESSION_COOKIE } from "~/server/session";

export function POST() {
  const response = new NextResponse(null, { status: 303, headers: { location: "/sign-in" } });
  response.cookies.delete(SESSION_COOKIE);
  return response;
}
