import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

export interface TutorServer {
  kind: "pglite" | "postgres";
  order: "host-first" | "usagekit-first";
  baseUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    servers: TutorServer[];
  }
}

const DATABASE_URL = process.env.DATABASE_URL || undefined;
if (process.env.CI && !DATABASE_URL) throw new Error("CI must set DATABASE_URL");

/** `next start` of the tutor's production build on a database of its own. */
async function startTutor(env: Record<string, string>) {
  const port = 31_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(
    "pnpm",
    ["exec", "next", "start", "--port", String(port), "--hostname", "127.0.0.1"],
    {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let log = "";
  const baseUrl = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tutor not ready:\n${log}`)), 120_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`tutor exited with ${code}:\n${log}`)));
  });
  // The first request opens and migrates the database.
  const health = await fetch(`${baseUrl}/api/health`);
  if (health.status !== 200) throw new Error(`tutor unhealthy:\n${log}`);
  return {
    baseUrl,
    stop: async () => {
      process.kill(-child.pid!, "SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

/** The tutor on PGlite (its migrations first), and on PostgreSQL (usagekit's first). */
export default async function setup(project: TestProject) {
  if (!existsSync(".next/BUILD_ID")) throw new Error("run `pnpm build` first");
  const cleanups: (() => Promise<unknown>)[] = [];
  const servers: TutorServer[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "usagekit-tutor-"));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const pglite = await startTutor({
    DATABASE_URL: "",
    TUTOR_DATA_DIR: dataDir,
    TUTOR_MIGRATE_ORDER: "host-first",
  });
  cleanups.unshift(pglite.stop);
  servers.push({ kind: "pglite", order: "host-first", baseUrl: pglite.baseUrl });
  if (DATABASE_URL) {
    const name = `usagekit_tutor_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const url = new URL(DATABASE_URL);
    url.pathname = `/${name}`;
    const pg = await startTutor({
      DATABASE_URL: url.toString(),
      TUTOR_MIGRATE_ORDER: "usagekit-first",
    });
    cleanups.unshift(async () => {
      await pg.stop();
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    });
    servers.push({ kind: "postgres", order: "usagekit-first", baseUrl: pg.baseUrl });
  }
  project.provide("servers", servers);
  return async () => {
    for (const cleanup of cleanups) await cleanup();
  };
}
