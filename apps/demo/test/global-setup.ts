import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startDemo } from "./demo-server";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/**
 * Starts the production build on a fresh embedded database, waits until its demo data (the named
 * learners and the generated population, written in the background) is complete, and stops it
 * (by process group) when the run ends.
 */
export default async function setup(project: TestProject) {
  if (!existsSync(".next/BUILD_ID"))
    throw new Error("run `pnpm build` first: the tests use the production build");
  const dataDir = mkdtempSync(join(tmpdir(), "usagekit-demo-"));
  const server = startDemo(dataDir);
  await server.printed("demo data ready", 300_000);
  project.provide("baseUrl", server.baseUrl);
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
