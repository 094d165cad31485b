import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@usagekit/db";
import { createUsageServer } from "../src/server";
import { runMatrix } from "./auth-matrix";
import type { Caller } from "./auth-matrix";
import { dbKinds, openTestDb } from "./db";

const TOKEN = "matrix-service-token-0123456789";

// The standalone server is service-token auth only: a session cookie identifies nobody there.
describe.each(dbKinds)("authorization matrix of the standalone server on %s", (kind) => {
  let handle: DbHandle;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    handle = await openTestDb(kind);
    server = createUsageServer({ db: handle.db, serviceToken: TOKEN });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/trpc`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await handle.close();
  });

  it("answers every procedure × caller as the contract says", async () => {
    const headers: Partial<Record<Caller, Record<string, string>>> = {
      anonymous: {},
      service: { authorization: `Bearer ${TOKEN}` },
      wrongToken: { authorization: "Bearer not-the-token-not-the-token" },
      badCookie: { cookie: "usagekit_session=forged.value" },
    };
    const cells = await runMatrix({
      base,
      callers: ["anonymous", "service", "wrongToken", "badCookie"],
      headersFor: (c) => headers[c]!,
      userFor: () => "matrix-user",
      expectCell: (cell, actual, expected, worked) => {
        expect([cell, actual]).toEqual([cell, expected]);
        expect([cell, worked]).toEqual([cell, true]);
      },
    });
    expect(cells).toBe(4 * 14);
  });
});
