import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const DATABASE_URL = process.env.DATABASE_URL || undefined;
const run = promisify(execFile);

// A resolve hook that refuses PGlite: a process that so much as imports it fails.
const refusePglite = `data:text/javascript,${encodeURIComponent(`
  import { register } from "node:module";
  register("data:text/javascript," + encodeURIComponent(
    "export async function resolve(s, c, next) {" +
    "  if (s.includes('@electric-sql/pglite') || s.includes('drizzle-orm/pglite')) throw new Error('PGlite was loaded: ' + s);" +
    "  return next(s, c); }"));
`)}`;

const script = (url: string) => `
  const { createDb } = await import("./src/index.ts");
  const handle = await createDb({ url: ${JSON.stringify(url)}, dataDir: "memory://" });
  await handle.close();
  console.log("opened " + handle.kind);
`;

async function openWithoutPglite(url: string) {
  return run(
    process.execPath,
    ["--import", "tsx", "--import", refusePglite, "--input-type=module", "-e", script(url)],
    { cwd: `${import.meta.dirname}/..` },
  ).then(
    ({ stdout }) => stdout.trim(),
    (e: { stderr: string }) => `failed: ${e.stderr}`,
  );
}

describe.runIf(DATABASE_URL)("a host on PostgreSQL", () => {
  it("never loads PGlite (only createDb without a URL does)", async () => {
    expect(await openWithoutPglite(DATABASE_URL!)).toBe("opened postgres");
    // The control: the same hook does stop a PGlite open.
    expect(await openWithoutPglite("")).toMatch(/failed:[\s\S]*PGlite was loaded/);
  });
});
