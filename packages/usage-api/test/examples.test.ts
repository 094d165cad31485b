import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { signWebhook } from "../src/alerts/signature";
import { freePort, spawnServer, startPgliteServer } from "./process";

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

  it("top-up.ts sells an hour that lifts the limit at once and is used after the plan's own", async () => {
    expect(await runExample("top-up.ts", { DATABASE_URL: "" })).toBe("true true 5400 3600 600");
  });

  it("webhook-receiver.ts verifies the standalone server's signed alerts, and refuses forgeries", async () => {
    const secret = "whsec-example-0123456789abcdef";
    const port = await freePort();
    const receiver = spawnServer(
      { PORT: String(port), USAGE_WEBHOOK_SECRET: secret },
      {
        args: ["--import", import.meta.resolve("tsx"), example("webhook-receiver.ts")],
        cwd: tmpdir(),
      },
    );
    const token = "example-test-service-token-0123456789";
    const server = await startPgliteServer(token, {
      USAGE_WEBHOOK_URL: `http://127.0.0.1:${port}/usagekit`,
      USAGE_WEBHOOK_SECRET: secret,
    });
    try {
      await receiver.printed("receiving webhooks", 30_000);
      // A forged or stale alert is refused.
      const body = JSON.stringify({ id: 1 });
      const forged = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: {
          "usagekit-signature": signWebhook(
            body,
            "not-the-secret-0123",
            Math.floor(Date.now() / 1000),
          ),
        },
        body,
      });
      expect(forged.status).toBe(401);
      const stale = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: {
          "usagekit-signature": signWebhook(body, secret, Math.floor(Date.now() / 1000) - 600),
        },
        body,
      });
      expect(stale.status).toBe(401);
      // Three Anki exports on the free plan: 80 % and 100 % of its 3, delivered by the server.
      const call = await fetch(`${server.url}/usage.recordUsage`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ json: { userId: "user_2abc", ankiExports: 3 } }),
      });
      expect(call.status).toBe(200);
      await receiver.printed("user_2abc reached 100 % of ankiExports", 30_000);
      expect(receiver.output()).toContain("user_2abc reached 80 % of ankiExports");
    } finally {
      receiver.kill();
      await server.stop();
    }
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
