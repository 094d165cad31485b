import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const repo = join(import.meta.dirname, "..", "..", "..");
/** The packages a host installs, in dependency order. */
export const PACKAGES = ["packages/db", "packages/usage-api", "packages/react"] as const;
/** This example host's own test tools: a reader's app has none of them. */
const WORKSPACE_ONLY = ["eslint", "playwright-core", "postgres", "vitest"];

/** The environment of a plain shell: nothing pnpm set for this run leaks into npm. */
export const plainEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|PNPM_|INIT_CWD$)/i.test(k)),
  ) as Record<string, string>;

const run = (cwd: string, command: string, args: string[]) =>
  execFileSync(command, args, { cwd, env: plainEnv(), encoding: "utf8", stdio: "pipe" });

/** The text of the files of `tarball` matching `paths` (globs), one after the other. */
export const readTarball = (tarball: string, ...paths: string[]) =>
  execFileSync("tar", ["-xzOf", tarball, "--wildcards", ...paths], { encoding: "utf8" });

/** `pnpm pack` of a workspace package into `folder`: the tarball's path and its package.json. */
function pack(dir: string, folder: string) {
  const out = run(join(repo, dir), "pnpm", ["pack", "--pack-destination", folder]).trim();
  const tarball = out.split("\n").at(-1)!;
  const manifest = JSON.parse(readTarball(tarball, "package/package.json"));
  return { dir, tarball, manifest };
}

/**
 * This example app, packed and unpacked into a new folder outside the workspace, with the packed
 * usagekit tarballs as its dependencies (everything else from the npm registry), installed by
 * plain npm: what a reader gets who copies the app and runs `npm install`.
 */
export function installPackedApp() {
  const root = mkdtempSync(join(tmpdir(), "usagekit-host-"));
  const packs = join(root, "packs");
  const app = join(root, "app");
  mkdirSync(app);
  const packages = PACKAGES.map((dir) => pack(dir, packs));
  const host = pack("apps/vite-host", packs);
  run(app, "tar", ["-xzf", host.tarball, "--strip-components=1"]);
  const { manifest } = host;
  for (const { tarball, manifest: packed } of packages)
    manifest.dependencies[packed.name] = `file:${tarball}`;
  for (const tool of WORKSPACE_ONLY) delete manifest.devDependencies[tool];
  for (const script of ["lint", "test"]) delete manifest.scripts[script];
  manifest.scripts.typecheck = "tsc -p tsconfig.json"; // the workspace also checks test/
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2));
  run(app, "npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"]);
  return {
    root,
    app,
    packages,
    npm: (...args: string[]) => run(app, "npm", args),
    npx: (...args: string[]) => run(app, "npx", ["--no-install", ...args]),
  };
}
