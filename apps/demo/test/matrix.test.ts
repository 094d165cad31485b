import { describe, expect, inject, it } from "vitest";
import { callers, runMatrix } from "../../../packages/usage-api/test/auth-matrix";
import type { Caller } from "../../../packages/usage-api/test/auth-matrix";
import { demoUsers } from "../src/lib/demo-users";
import { SERVICE_TOKEN } from "./demo-server";
import { signIn as signInAt } from "./session";

const baseUrl = inject("baseUrl");
const dev = demoUsers.find((u) => u.name === "Dev")!;
const ben = demoUsers.find((u) => u.name === "Ben")!;
const owner = demoUsers.find((u) => u.role === "admin")!;

const signIn = (userId: string) => signInAt(baseUrl, userId);

describe("authorization matrix of the demo's /api/trpc", () => {
  it("answers every procedure × caller as the contract says", async () => {
    const devCookie = await signIn(dev.id);
    const [name, value] = devCookie.split("=") as [string, string];
    const altered = `${name}=${value.slice(0, 10)}${value[10] === "A" ? "B" : "A"}${value.slice(11)}`;
    const headers: Record<Caller, Record<string, string>> = {
      anonymous: {},
      self: { cookie: devCookie },
      other: { cookie: devCookie },
      analyst: { cookie: await signIn(owner.id) },
      service: { authorization: `Bearer ${SERVICE_TOKEN}` },
      wrongToken: { authorization: "Bearer not-the-token-not-the-token" },
      badCookie: { cookie: altered },
    };
    const user: Record<Caller, string | undefined> = {
      anonymous: dev.id,
      self: undefined, // "me"
      other: ben.id,
      analyst: ben.id,
      service: dev.id,
      wrongToken: dev.id,
      badCookie: undefined,
    };
    const cells = await runMatrix({
      base: `${baseUrl}/api/trpc`,
      callers,
      headersFor: (c) => headers[c],
      userFor: (c) => user[c],
      expectCell: (cell, actual, expected, worked) => {
        expect([cell, actual]).toEqual([cell, expected]);
        expect([cell, worked]).toEqual([cell, true]);
      },
    });
    expect(cells).toBe(7 * 18); // 18 procedures × 7 callers
  });
});
