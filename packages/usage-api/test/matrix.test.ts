import { describe, expect, it } from "vitest";
import { runMatrix } from "./auth-matrix";
import type { Caller } from "./auth-matrix";
import { dbKinds, useServer } from "./db";

const TOKEN = "matrix-service-token-0123456789";

// The standalone server is service-token auth only: a session cookie identifies nobody there.
describe.each(dbKinds)("authorization matrix of the standalone server on %s", (kind) => {
  const suite = useServer(kind, { serviceToken: TOKEN });

  it("answers every procedure × caller as the contract says", async () => {
    const headers: Partial<Record<Caller, Record<string, string>>> = {
      anonymous: {},
      service: { authorization: `Bearer ${TOKEN}` },
      wrongToken: { authorization: "Bearer not-the-token-not-the-token" },
      badCookie: { cookie: "usagekit_session=forged.value" },
    };
    const cells = await runMatrix({
      base: suite.url,
      callers: ["anonymous", "service", "wrongToken", "badCookie"],
      headersFor: (c) => headers[c]!,
      userFor: () => "matrix-user",
      expectCell: (cell, actual, expected, worked) => {
        expect([cell, actual]).toEqual([cell, expected]);
        expect([cell, worked]).toEqual([cell, true]);
      },
    });
    expect(cells).toBe(4 * 18); // 18 procedures × 4 callers
  });
});
