import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";

/** Thrown when another live process holds a PGlite data folder. */
export class DataFolderInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data folder ${dataDir} in use by pid ${pid}: stop that process first`);
    this.name = "DataFolderInUseError";
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Takes the folder's lock file (`usagekit.pid`, holding this process's pid). PGlite is one
 * process's database: a second process opening the same folder would corrupt or crash it. A
 * lock left by a process that died (kill -9) is taken over. Returns the release function.
 */
const heldHere = new Set<string>();

export function lockDataFolder(dataDir: string): () => void {
  const file = join(resolve(dataDir), "usagekit.pid");
  if (heldHere.has(file)) throw new DataFolderInUseError(dataDir, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid && pid !== process.pid && alive(pid)) throw new DataFolderInUseError(dataDir, pid);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock data folder ${dataDir}`);
}
