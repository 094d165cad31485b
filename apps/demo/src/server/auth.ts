import "server-only";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { findDemoUser } from "~/lib/demo-users";
import type { DemoUser } from "~/lib/demo-users";
import { SESSION_COOKIE, verifySession } from "./session";

/** The signed-in demo user in `role`, or a redirect to the sign-in page (or their own home). */
export async function requireUser(role: DemoUser["role"] = "learner"): Promise<DemoUser> {
  const userId = await verifySession((await cookies()).get(SESSION_COOKIE)?.value);
  const user = findDemoUser(userId);
  if (!user) redirect("/sign-in");
  if (user.role !== role) redirect(user.role === "admin" ? "/insights" : "/dashboard");
  return user;
}
