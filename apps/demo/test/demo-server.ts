import { spawn } from "node:child_process";

export const SERVICE_TOKEN = "demo-e2e-service-token-0123456789";
export const REQUEST_TIMEOUT_MS = 3000;
export const SESSION_SECRET = "demo-e2e-session-secret-0123456789abcdef";

export interface DemoServer {
  baseUrl: string;
  /** Everything the server printed so far. */
  log: () => string;
  /** Resolves when the server printed `text` (rejects if it exits first or `ms` pass). */
  printed: (text: string, ms: number) => Promise<void>;
  /** Kills the server's whole process group and waits for it to exit. */
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * Starts the production build (`server.mjs`: `next start` with request timeouts) on a free port
 * with the embedded database in `dataDir`, in its own process group.
 */
export function startDemo(dataDir: string, env: Record<string, string> = {}): DemoServer {
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
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let log = "";
  const exited = new Promise<number | null>((resolve) => server.once("exit", resolve));
  const append = (chunk: Buffer) => (log += chunk.toString());
  server.stdout.on("data", append);
  server.stderr.on("data", append);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    log: () => log,
    printed: (text, ms) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${text}" in ${ms} ms:\n${log}`)), ms);
        const check = () => {
          if (!log.includes(text)) return;
          clearTimeout(timer);
          resolve();
        };
        server.stdout.on("data", check);
        server.stderr.on("data", check);
        void exited.then((code) => reject(new Error(`the demo exited with ${code}:\n${log}`)));
        check();
      }),
    stop: async (signal = "SIGTERM") => {
      if (server.exitCode === null && server.signalCode === null)
        process.kill(-server.pid!, signal);
      await exited;
    },
  };
}

/** What the query `procedure` ("usage.getCurrentUsage") answers for `input`, asked with the service token. */
export async function serviceQuery<T>(
  baseUrl: string,
  procedure: string,
  input: unknown,
): Promise<T> {
  const query = encodeURIComponent(JSON.stringify({ json: input }));
  const response = await fetch(`${baseUrl}/api/trpc/${procedure}?input=${query}`, {
    headers: { authorization: `Bearer ${SERVICE_TOKEN}` },
  });
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

/** What the mutation `procedure` ("usage.setUserPlan") answers for `input`, sent with the service token. */
export async function serviceMutation<T>(
  baseUrl: string,
  procedure: string,
  input: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ json: input }),
  });
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}
