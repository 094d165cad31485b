import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { findDemoUser } from "~/lib/demo-users";
import type { DemoUser } from "~/lib/demo-users";
import { SESSION_COOKIE, verifySession } from "./session";

/** The signed-in demo user, or a redirect to the sign-in page. */
export async function requireUser(): Promise<DemoUser> {
  const userId = verifySession((await cookies()).get(SESSION_COOKIE)?.value);
  const user = findDemoUser(userId);
  if (!user) redirect("/sign-in");
  return user;
}
