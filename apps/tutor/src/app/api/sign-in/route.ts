import { NextResponse } from "next/server";
import { users } from "~/server/schema";
import { getDb } from "~/server/db";
import { SESSION_COOKIE, signSession } from "~/server/session";

/** Signs in by name (the example's stand-in for the host's real auth): id `user_<name>`. */
export async function POST(req: Request) {
  const form = await req.formData();
  const name = String(form.get("name") ?? "")
    .trim()
    .toLowerCase();
  if (!/^[a-z0-9_-]{1,40}$/.test(name)) {
    return NextResponse.json({ error: "name: 1-40 letters, digits, _ or -" }, { status: 400 });
  }
  const id = `user_${name}`;
  const db = await getDb();
  await db.insert(users).values({ id, name }).onConflictDoNothing();
  const response = NextResponse.redirect(new URL("/", req.url), 303);
  response.cookies.set(SESSION_COOKIE, signSession(id), {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
  });
  return response;
}
