import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startPgliteServer } from "./process";

const run = promisify(execFile);
const example = (name: string) => join(import.meta.dirname, "..", "examples", name);

/** Runs an example as a user would (`tsx examples/x.ts`) in a folder of its own. */
async function runExample(name: string, env: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), "usagekit-example-"));
  try {
    // tsx by its absolute URL: the example runs in an empty folder (its PGlite data lands there).
    const tsx = import.meta.resolve("tsx");
    const { stdout } = await run(process.execPath, ["--import", tsx, example(name)], {
      cwd,
      env: { ...process.env, ...env },
    });
    return stdout.trim();
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

// The README's examples are these files (readme.test.ts in apps/tutor checks they match).
describe("the README's examples", () => {
  it("service.ts records, checks, reads and pays, then closes (the process exits)", async () => {
    const out = await runExample("service.ts", { DATABASE_URL: "" });
    expect(out).toMatch(/^true \d+ \d+$/);
  });

  it("voice-session.ts holds, extends, settles and refunds a session", async () => {
    expect(await runExample("voice-session.ts", { DATABASE_URL: "" })).toBe("742 0");
  });

  it("http-client.ts records over HTTP with the official client", async () => {
    const token = "example-test-service-token-0123456789";
    const server = await startPgliteServer(token);
    try {
      const out = await runExample("http-client.ts", {
        USAGE_API_URL: server.url,
        USAGE_SERVICE_TOKEN: token,
      });
      expect(out).toBe("true 60");
    } finally {
      await server.stop();
    }
  });
});
