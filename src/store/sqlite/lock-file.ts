import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

// Lock files this process holds: a lock file naming our own pid is ours only if we took it
// here; otherwise it is a stale one from an earlier process that had the same pid (in a
// container, serve is often pid 1 on every start).
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readPid(lockFile: string): number | null {
  try {
    const pid = Number(readFileSync(lockFile, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function tryCreate(lockFile: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Makes this process the only `switchyard serve` on a SQLite file (DESIGN.md section 4):
 * two servers would each run workers and reclaim each other's leases. Creates
 * `<dbFile>.lock` exclusively with our pid; a lock whose pid is no longer alive (a crash,
 * a `kill -9`) is taken over. Returns the release function, which removes the file only
 * while it still names this process.
 *
 * Known limit: two processes taking over the same stale lock at the same instant can both
 * succeed; starting two servers within microseconds of each other after a crash is not a
 * case worth a heavier protocol.
 *
 * @example
 * const release = acquireStoreLock(".switchyard/switchyard.db");
 * try { await serve(); } finally { release(); }
 */
export function acquireStoreLock(dbFile: string): () => void {
  const lockFile = `${dbFile}.lock`;
  // Taken before the store is opened, so on a first run the directory may not exist yet.
  mkdirSync(path.dirname(lockFile), { recursive: true });
  if (held.has(lockFile)) {
    throw new Error(`this process already holds ${lockFile}: open the store once and share it`);
  }
  if (!tryCreate(lockFile)) {
    const pid = readPid(lockFile);
    if (pid !== null && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `another switchyard serve (pid ${pid}) is using the database ${dbFile}: stop it first, or give this one its own DATABASE_URL ` +
          `(several servers on one database need PostgreSQL). If pid ${pid} is not a switchyard serve, delete ${lockFile} and retry.`,
      );
    }
    // Stale: its process is gone.
    try {
      unlinkSync(lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (!tryCreate(lockFile)) {
      throw new Error(`another switchyard serve took ${lockFile} just now: stop it first, or give this one its own DATABASE_URL`);
    }
  }
  held.add(lockFile);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(lockFile);
    if (readPid(lockFile) === process.pid) {
      try {
        unlinkSync(lockFile);
      } catch {
        // Already gone: nothing to release.
      }
    }
  };
}
