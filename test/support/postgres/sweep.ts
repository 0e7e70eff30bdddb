import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PgTools } from "./binaries.js";
import { OWNER_FILE, ROOT_PREFIX, attachCluster } from "./cluster.js";

/**
 * Stops every cluster still running under `root` (a test file's private cluster whose
 * afterAll never ran, say) and deletes the root.
 *
 * @example
 * await removeClusterRoot(tools, root);
 */
export async function removeClusterRoot(tools: PgTools, root: string): Promise<void> {
  let entries: string[] = [];
  try {
    entries = readdirSync(root).filter((name) => name.startsWith("cluster-"));
  } catch {
    return;
  }
  await Promise.all(
    entries.map(async (name) => {
      const baseDir = path.join(root, name);
      const dataDir = path.join(baseDir, "data");
      if (!existsSync(path.join(dataDir, "postmaster.pid"))) return;
      // Only the data dir matters to pg_ctl stop; the port is not used.
      const cluster = attachCluster({ tools, baseDir, dataDir, socketDir: path.join(baseDir, "sock"), logFile: path.join(baseDir, "server.log"), port: 0 });
      await cluster.stop("immediate").catch(() => undefined);
    }),
  );
  rmSync(root, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Cleans up after earlier test runs that were killed before their teardown: roots whose
 * owning process is gone. Roots of runs still going (another terminal) are left alone.
 *
 * @example
 * await removeStaleClusterRoots(tools);
 */
export async function removeStaleClusterRoots(tools: PgTools): Promise<void> {
  const base = tmpdir();
  let names: string[] = [];
  try {
    names = readdirSync(base).filter((name) => name.startsWith(ROOT_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const root = path.join(base, name);
    let owner: number;
    try {
      owner = Number(readFileSync(path.join(root, OWNER_FILE), "utf8"));
    } catch {
      continue;
    }
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) await removeClusterRoot(tools, root);
  }
}
