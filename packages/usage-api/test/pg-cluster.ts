import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./process";

/** The OS user a private cluster runs as when the tests run as root (initdb refuses root). */
const CLUSTER_USER = "usagekit-pg";

/** The installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin), if any. */
export function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const major = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a))[0];
  return major === undefined ? undefined : join(root, major, "bin");
}

const isRoot = () => process.getuid?.() === 0;

function ensureClusterUser() {
  try {
    execFileSync("id", ["-u", CLUSTER_USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["--system", "--no-create-home", CLUSTER_USER], { stdio: "ignore" });
  }
}

export interface PrivateCluster {
  url: string;
  port: number;
  start(): void;
  /** A crash: `pg_ctl stop -m immediate` (no checkpoint; the next start runs crash recovery). */
  crash(): void;
  destroy(): void;
}

/**
 * A PostgreSQL cluster of its own in a temporary folder, from the installed PostgreSQL's `initdb`
 * and `pg_ctl`, so a test may crash and restart it. As root, it runs as a dedicated system user.
 * With `replicaOf`, a streaming replica of that (running) cluster instead: `pg_basebackup -R`.
 */
export async function createPrivateCluster(
  made: { replicaOf?: PrivateCluster } = {},
): Promise<PrivateCluster> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error("no PostgreSQL installation under /usr/lib/postgresql");
  const home = mkdtempSync(join(tmpdir(), "usagekit-pg-"));
  const data = join(home, "data");
  const run = (tool: string, args: string[]) => {
    const command = join(bin, tool);
    return isRoot()
      ? execFileSync("runuser", ["-u", CLUSTER_USER, "--", command, ...args], { stdio: "pipe" })
      : execFileSync(command, args, { stdio: "pipe" });
  };
  if (isRoot()) {
    ensureClusterUser();
    const uid = Number(execFileSync("id", ["-u", CLUSTER_USER]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", CLUSTER_USER]).toString().trim());
    chownSync(home, uid, gid);
    chmodSync(home, 0o700);
  }
  if (made.replicaOf)
    run("pg_basebackup", [
      ...["-h", "127.0.0.1", "-p", String(made.replicaOf.port), "-U", "postgres"],
      ...["-D", data, "-R", "-X", "stream", "--no-sync"],
    ]);
  else run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${home}`,
    "-c fsync=on",
    "-c max_connections=50",
  ].join(" ");
  const cluster: PrivateCluster = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run("pg_ctl", ["-D", data, "-o", options, "-l", join(home, "log"), "-w", "start"]),
    crash: () => run("pg_ctl", ["-D", data, "-m", "immediate", "stop"]),
    destroy: () => {
      try {
        cluster.crash();
      } catch {
        /* not running */
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
