import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export const SERVICE_TOKEN = "demo-e2e-service-token-0123456789";
export const REQUEST_TIMEOUT_MS = 3000;
export const SESSION_SECRET = "demo-e2e-session-secret-0123456789abcdef";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/**
 * Starts the production build (`server.mjs`: `next start` with request timeouts) on a free port with a fresh embedded database, and
 * stops it (by process group) when the run ends.
 */
export default async function setup(project: TestProject) {
  if (!existsSync(".next/BUILD_ID"))
    throw new Error("run `pnpm build` first: the tests use the production build");
  const dataDir = mkdtempSync(join(tmpdir(), "usagekit-demo-"));
  const port = 31_000 + Math.floor(Math.random() * 20_000);
  const server = spawn(
    process.execPath,
    [
      "server.mjs",
      ...["--port", String(port), "--hostname", "127.0.0.1"],
      // Short, so the slow-client test sees slow bodies cut off within its run.
      ...["--request-timeout", String(REQUEST_TIMEOUT_MS)],
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: "",
        DEMO_DATA_DIR: dataDir,
        USAGE_SERVICE_TOKEN: SERVICE_TOKEN,
        SESSION_SECRET,
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the demo server did not get ready:\n${log}`)),
      120_000,
    );
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("database ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code) => reject(new Error(`the demo server exited with ${code}:\n${log}`)));
  });
  project.provide("baseUrl", `http://127.0.0.1:${port}`);
  return async () => {
    process.kill(-server.pid!, "SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
