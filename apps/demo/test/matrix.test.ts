import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb } from "@usagekit/db";
import type { DbHandle } from "@usagekit/db";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callers, runMatrix } from "../../../packages/usage-api/test/auth-matrix";
import type { Caller } from "../../../packages/usage-api/test/auth-matrix";
import { rowCounts } from "../../../packages/usage-api/test/helpers";
import { demoUsers } from "../src/lib/demo-users";
import { SERVICE_TOKEN, startDemo } from "./demo-server";
import type { DemoServer } from "./demo-server";
import { signIn } from "./session";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const dev = demoUsers.find((u) => u.name === "Dev")!;
const ben = demoUsers.find((u) => u.name === "Ben")!;
const owner = demoUsers.find((u) => u.role === "admin")!;

/**
 * The matrix against a running demo at `baseUrl`: Dev signed in is "self" (and "other", acting
 * for Ben), the app owner is the analyst (reading Ben, who has months of history and bills), the
 * service acts for Dev. `counts`, where the test can see the demo's database, counts its rows.
 */
async function demoMatrix(baseUrl: string, counts?: () => Promise<unknown>) {
  const devCookie = await signIn(baseUrl, dev.id);
  const [name, value] = devCookie.split("=") as [string, string];
  const altered = `${name}=${value.slice(0, 10)}${value[10] === "A" ? "B" : "A"}${value.slice(11)}`;
  const headers: Record<Caller, Record<string, string>> = {
    anonymous: {},
    self: { cookie: devCookie },
    other: { cookie: devCookie },
    analyst: { cookie: await signIn(baseUrl, owner.id) },
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
  return runMatrix({
    base: `${baseUrl}/api/trpc`,
    callers,
    headersFor: (c) => headers[c],
    userFor: (c) => user[c],
    selfUser: dev.id,
    rowCounts: counts,
  });
}

describe("authorization matrix of the demo's /api/trpc", () => {
  it("answers every procedure × caller as the contract says; reads equal the service's, writes show, refusals write nothing", async () => {
    expect(await demoMatrix(inject("baseUrl"))).toBe(7 * 23); // 23 procedures × 7 callers
  });
});

/**
 * The same matrix on a second demo server on real PostgreSQL (when DATABASE_URL is set): a fresh
 * database created here and dropped after, which the test also reads directly for row counts.
 * The matrix needs only the named learners, so the generated population is kept small.
 */
describe.runIf(DATABASE_URL)("authorization matrix of the demo's /api/trpc on PostgreSQL", () => {
  const name = `usagekit_demo_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const url = new URL(DATABASE_URL ?? "postgres://localhost/unused");
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), "usagekit-demo-pg-"));
  let server: DemoServer | undefined;
  let handle: DbHandle | undefined;

  beforeAll(async () => {
    const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    await admin.end();
    server = startDemo(dataDir, { DATABASE_URL: url.toString() });
    await server.printed("demo data ready", 240_000);
    handle = await createDb({ url: url.toString(), max: 1 });
  }, 300_000);

  afterAll(async () => {
    await handle?.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    const admin = postgres(DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it("answers every procedure × caller as the contract says; reads equal the service's, writes show, refusals write nothing", async () => {
    expect(server!.log()).toContain("postgres database ready");
    const cells = await demoMatrix(server!.baseUrl, () => rowCounts(handle!.db));
    expect(cells).toBe(7 * 23);
  });
});
