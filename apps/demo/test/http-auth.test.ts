import { createHmac } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { SERVICE_TOKEN, SESSION_SECRET } from "./global-setup";

const baseUrl = inject("baseUrl");
const [ana, ben] = demoUsers as [(typeof demoUsers)[0], (typeof demoUsers)[0]];
const admin = demoUsers.find((u) => u.role === "admin")!;

async function signIn(userId: string): Promise<string> {
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

const query = (procedure: string, input: unknown, headers: Record<string, string> = {}) =>
  fetch(
    `${baseUrl}/api/trpc/${procedure.includes(".") ? procedure : `usage.${procedure}`}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
    {
      headers,
    },
  );
const mutate = (procedure: string, input: unknown, headers: Record<string, string> = {}) =>
  fetch(`${baseUrl}/api/trpc/usage.${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
  });
const codeOf = async (response: Response) =>
  ((await response.json()) as { error?: { json: { data: { code: string } } } }).error?.json.data
    .code;

describe("the demo's /api/trpc endpoint", () => {
  it("lets a signed-in user read and record its own usage", async () => {
    const cookie = await signIn(ana.id);
    expect((await query("getCurrentUsage", {}, { cookie })).status).toBe(200);
    expect((await query("getLifetimeStats", { userId: ana.id }, { cookie })).status).toBe(200);
  });

  it("forbids another user's usage to a signed-in user", async () => {
    const cookie = await signIn(ana.id);
    const read = await query("getCurrentUsage", { userId: ben.id }, { cookie });
    expect(read.status).toBe(403);
    expect(await codeOf(read)).toBe("FORBIDDEN");
    const write = await mutate("recordUsage", { userId: ben.id, seconds: 60 }, { cookie });
    expect(write.status).toBe(403);
    const plan = await mutate("setUserPlan", { userId: ana.id, tier: "pro" }, { cookie });
    expect(await codeOf(plan)).toBe("FORBIDDEN");
  });

  it("refuses a request without a session, or with a forged one, as UNAUTHORIZED", async () => {
    const forgedSignature = `usagekit_session=${ben.id}.${createHmac("sha256", "not-the-secret").update(ben.id).digest("base64url")}`;
    const anaCookie = await signIn(ana.id);
    const swapped = anaCookie.replace(ana.id, ben.id); // Ana's signature on Ben's id
    const attempts: Record<string, string>[] = [
      {},
      { cookie: forgedSignature },
      { cookie: swapped },
      { cookie: "usagekit_session=garbage" },
    ];
    for (const headers of attempts) {
      const response = await query("getCurrentUsage", {}, headers);
      expect(response.status).toBe(401);
      expect(await codeOf(response)).toBe("UNAUTHORIZED");
    }
    // A correctly signed cookie works: the check above is about the signature, not the format.
    const genuine = `usagekit_session=${ben.id}.${createHmac("sha256", SESSION_SECRET).update(ben.id).digest("base64url")}`;
    expect((await query("getCurrentUsage", {}, { cookie: genuine })).status).toBe(200);
  });

  it("serves service calls with the bearer token on the same endpoint", async () => {
    const auth = { authorization: `Bearer ${SERVICE_TOKEN}` };
    expect((await query("getLifetimeStats", { userId: ben.id }, auth)).status).toBe(200);
    const wrong = await query(
      "getLifetimeStats",
      { userId: ben.id },
      { authorization: "Bearer nope-nope-nope-nope" },
    );
    expect(wrong.status).toBe(401);
  });

  it("gives the analytics to the demo's admin (service role) and not to a learner", async () => {
    const month = new Date().toISOString().slice(0, 7);
    const learner = await query(
      "analytics.featureAdoption",
      { month },
      { cookie: await signIn(ana.id) },
    );
    expect(learner.status).toBe(403);
    const owner = await query(
      "analytics.featureAdoption",
      { month },
      { cookie: await signIn(admin.id) },
    );
    expect(owner.status).toBe(200);
    const body = (await owner.json()) as {
      result: { data: { json: { tiers: { activeUsers: number }[] } } };
    };
    expect(
      body.result.data.json.tiers.reduce((n, t) => n + t.activeUsers, 0),
    ).toBeGreaterThanOrEqual(3);
  });

  it("refuses a body over 1 MB with 413", async () => {
    const response = await mutate(
      "recordUsage",
      { seconds: 1, pad: "x".repeat(1_100_000) },
      { authorization: `Bearer ${SERVICE_TOKEN}` },
    );
    expect(response.status).toBe(413);
    // The same without a declared length (chunked); a small chunked body still goes through.
    const chunked = (body: unknown) => {
      const bytes = new TextEncoder().encode(JSON.stringify({ json: body }));
      return fetch(`${baseUrl}/api/trpc/usage.recordUsage`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_TOKEN}` },
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 65_536)
              controller.enqueue(bytes.slice(i, i + 65_536));
            controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
    };
    const tooBig = await chunked({ userId: ben.id, seconds: 1, pad: "x".repeat(1_100_000) });
    expect(tooBig.status).toBe(413);
    expect((await chunked({ userId: ben.id, seconds: 1 })).status).toBe(200);
  });
});
