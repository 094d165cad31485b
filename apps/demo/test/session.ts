import { expect } from "vitest";

/** Signs in through the demo's form endpoint; the session cookie (`name=value`) it sets. */
export async function signIn(baseUrl: string, userId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/sign-in`, {
    method: "POST",
    body: new URLSearchParams({ userId }),
    redirect: "manual",
  });
  expect(response.status).toBe(303);
  const cookie = response.headers.get("set-cookie")!;
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=lax/i);
  return cookie.split(";")[0]!;
}
