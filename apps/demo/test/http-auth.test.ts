import { createHmac } from "node:crypto";
import { describe, expect, inject, it } from "vitest";
import { demoUsers } from "../src/lib/demo-users";
import { batchCall } from "../../../packages/usage-api/test/auth-matrix";
import { SERVICE_TOKEN, SESSION_SECRET } from "./demo-server";
import { signIn as signInAt } from "./session";

const baseUrl = inject("baseUrl");
const [ana, ben] = demoUsers as [(typeof demoUsers)[0], (typeof demoUsers)[0]];
const admin = demoUsers.find((u) => u.role === "admin")!;

const signIn = (userId: string) => signInAt(baseUrl, userId);

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

  it("refuses a missing, forged, altered, expired, malformed or revoked session as UNAUTHORIZED", async () => {
    const anaCookie = await signIn(ana.id);
    const [name, value] = anaCookie.split("=") as [string, string];
    const [payload, signature] = value.split(".") as [string, string];
    const session = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<
      string,
      unknown
    >;
    const signed = (claims: Record<string, unknown>, secret = SESSION_SECRET) => {
      const p = Buffer.from(JSON.stringify(claims)).toString("base64url");
      return `${name}=${p}.${createHmac("sha256", secret).update(p).digest("base64url")}`;
    };
    const attempts: Record<string, string>[] = [
      {},
      { cookie: signed({ ...session, u: ben.id }, "not-the-secret-not-the-secret-not!") },
      {
        cookie: `${name}=${Buffer.from(JSON.stringify({ ...session, u: ben.id })).toString("base64url")}.${signature}`,
      },
      { cookie: signed({ ...session, iat: 1000, exp: 2000 }) }, // expired
      { cookie: signed({ ...session, iat: 4_000_000_000, exp: 4_000_086_400 }) }, // issued in the future
      { cookie: signed({ ...session, exp: (session.iat as number) + 90 * 86_400 }) }, // over 30 days
      { cookie: `${name}=garbage` },
      { cookie: `${name}=%E0%A4%A` }, // not even URI-decodable
      { cookie: `${name}=${"a".repeat(5000)}` },
    ];
    for (const headers of attempts) {
      for (const procedure of ["getCurrentUsage", "getLifetimeStats", "getMilestones"]) {
        const response = await query(procedure, {}, headers);
        expect(response.status).toBe(401);
        expect(await codeOf(response)).toBe("UNAUTHORIZED");
      }
    }
    // A correctly signed session works: the checks above are about the signature and the claims.
    expect((await query("getCurrentUsage", {}, { cookie: signed(session) })).status).toBe(200);
    // Sign-out ends it on the server: a copy kept from before stops working.
    const copy = await signIn(ben.id);
    expect((await query("getCurrentUsage", {}, { cookie: copy })).status).toBe(200);
    const out = await fetch(`${baseUrl}/api/sign-out`, {
      method: "POST",
      headers: { cookie: copy },
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect((await query("getCurrentUsage", {}, { cookie: copy })).status).toBe(401);
  });

  it("sets Secure behind a TLS-terminating proxy", async () => {
    const response = await fetch(`${baseUrl}/api/sign-in`, {
      method: "POST",
      body: new URLSearchParams({ userId: ana.id }),
      headers: { "x-forwarded-proto": "https" },
      redirect: "manual",
    });
    expect(response.headers.get("set-cookie")).toMatch(/;\s*Secure/i);
    const plain = await fetch(`${baseUrl}/api/sign-in`, {
      method: "POST",
      body: new URLSearchParams({ userId: ana.id }),
      redirect: "manual",
    });
    expect(plain.headers.get("set-cookie")).not.toMatch(/;\s*Secure/i);
  });

  it("caps tRPC batching at 50 calls", async () => {
    const cookie = await signIn(ana.id);
    const batch = (n: number) =>
      batchCall(`${baseUrl}/api/trpc`, "usage.getCurrentUsage", n, {}, { cookie });
    expect((await batch(50)).status).toBe(200);
    expect((await batch(51)).status).toBe(400);
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

  it("gives the app owner an analyst: reads and analytics, no writes; a learner no analytics", async () => {
    const month = (
      (await (
        await query(
          "getCurrentUsage",
          { userId: demoUsers.find((u) => u.name === "Dev")!.id },
          {
            authorization: `Bearer ${SERVICE_TOKEN}`,
          },
        )
      ).json()) as { result: { data: { json: { month: string } } } }
    ).result.data.json.month;
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
    const ownerCookie = await signIn(admin.id);
    expect(
      (await query("getLifetimeStats", { userId: ben.id }, { cookie: ownerCookie })).status,
    ).toBe(200);
    for (const [procedure, input] of [
      ["setUserPlan", { userId: ana.id, tier: "pro" }],
      ["recordUsage", { userId: ana.id, seconds: 1 }],
      [
        "recordPayment",
        {
          userId: ana.id,
          tier: "pro",
          amount: "1.00",
          paidAt: "2026-01-01T00:00:00Z",
          idempotencyKey: "x",
        },
      ],
    ] as const) {
      const response = await mutate(procedure, input, { cookie: ownerCookie });
      expect(await codeOf(response)).toBe("FORBIDDEN");
    }
  });

  it("refuses a body over 1 MB with 413", async () => {
    const response = await mutate(
      "recordUsage",
      { seconds: 1, pad: "x".repeat(5_000_000) },
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
    const tooBig = await chunked({ userId: ben.id, seconds: 1, pad: "x".repeat(5_000_000) });
    expect(tooBig.status).toBe(413);
    expect((await chunked({ userId: ben.id, seconds: 1 })).status).toBe(200);
  });
});

describe("the demo's hardening", () => {
  it("answers pages with a CSP that forbids framing, nosniff, a referrer policy and no X-Powered-By", async () => {
    for (const path of ["/", "/sign-in", "/dashboard"]) {
      const response = await fetch(`${baseUrl}${path}`, { redirect: "manual" });
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).not.toContain("unsafe-eval");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(response.headers.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("x-frame-options"), path).toBe("DENY");
      expect(response.headers.get("x-powered-by"), path).toBeNull();
    }
  });

  it("refuses posts from another site: sign-in, actions and API calls, writing nothing", async () => {
    const evil = { origin: "https://evil.example" };
    const signInFrom = (headers: Record<string, string>) =>
      fetch(`${baseUrl}/api/sign-in`, {
        method: "POST",
        headers,
        body: new URLSearchParams({ userId: ana.id }),
        redirect: "manual",
      });
    for (const headers of [evil, { origin: "null" }, { "sec-fetch-site": "cross-site" }]) {
      const refused = await signInFrom(headers);
      expect(refused.status).toBe(403);
      expect(refused.headers.get("set-cookie")).toBeNull();
    }
    // The same post from the demo's own pages signs in.
    const own = await signInFrom({
      origin: new URL(baseUrl).origin,
      "sec-fetch-site": "same-origin",
    });
    expect(own.status).toBe(303);

    // A new learner's usage, read with the service token.
    const service = { authorization: `Bearer ${SERVICE_TOKEN}` };
    const userId = `hardening-${Date.now()}`;
    const usage = async () =>
      (
        (await (await query("getCurrentUsage", { userId }, service)).json()) as {
          result: { data: { json: { seconds: number } } };
        }
      ).result.data.json.seconds;
    const write = await mutate("recordUsage", { userId, seconds: 60 }, { ...service, ...evil });
    expect(write.status).toBe(403);
    // A server action (the plan buttons, practice) posted from elsewhere never reaches Next.
    const cookie = await signIn(ana.id);
    const action = await fetch(`${baseUrl}/dashboard`, {
      method: "POST",
      headers: { cookie, "next-action": "0".repeat(40), "content-type": "text/plain", ...evil },
      body: "[]",
    });
    expect(action.status).toBe(403);
    expect(await usage()).toBe(0);
    // Without Origin (a server, not a browser), the credentials alone decide.
    expect((await mutate("recordUsage", { userId, seconds: 60 }, service)).status).toBe(200);
    expect(await usage()).toBe(60);
  });
});
