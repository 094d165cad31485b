import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code (and how long it took after this call). */
  exited(): Promise<number | null>;
  /** SIGKILL to the whole process group. */
  kill(signal?: NodeJS.Signals): void;
}

/**
 * `src/main.ts` (what `pnpm start` runs) in its own process group — Node itself, not a pnpm
 * wrapper, so that a signal reaches the server and its exit is its own — with what it prints.
 * `node` names another script for Node (and `cwd` where it runs).
 */
export function spawnServer(
  env: Record<string, string | undefined>,
  node = { args: ["--import", "tsx", "src/main.ts"], cwd: process.cwd() },
) {
  const child = spawn(process.execPath, node.args, {
    cwd: node.cwd,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  child.stdout.on("data", (c: Buffer) => (log += c.toString()));
  child.stderr.on("data", (c: Buffer) => (log += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return {
    child,
    /** Everything it printed so far. */
    output: () => log,
    /** Resolves with the exit code. */
    exited: () => exit,
    /** Resolves once it printed `text`; rejects after `ms` or when it exits first. */
    printed: (text: string, ms: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${text}" in:\n${log}`)), ms);
        const check = () => {
          if (!log.includes(text)) return;
          clearTimeout(timer);
          resolve();
        };
        check();
        child.stdout.on("data", check);
        child.stderr.on("data", check);
        void exit.then((code) => reject(new Error(`server exited with ${code}:\n${log}`)));
      }),
    /** A signal (default SIGKILL) to the whole process group. */
    kill: (signal: NodeJS.Signals = "SIGKILL") => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
    },
  };
}

/** `pnpm start` on a free port, ready when it says so. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const server = spawnServer({ PORT: String(port), ...env });
  await server.printed("usagekit API on", 60_000);
  return { ...server, port, url: `http://127.0.0.1:${port}/api/trpc` };
}

/**
 * The server on a PGlite folder of its own; `stop()` sends SIGTERM, waits for the exit and removes
 * the folder (also when the test already stopped it).
 */
export async function startPgliteServer(serviceToken: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "usagekit-server-"));
  const server = await startServer({
    DATABASE_URL: "",
    USAGE_DATA_DIR: dataDir,
    USAGE_SERVICE_TOKEN: serviceToken,
    ...env,
  });
  return {
    ...server,
    dataDir,
    async stop() {
      server.kill("SIGTERM");
      await server.exited();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
