import { closeSync, linkSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../../errors.js";
import { isAlive } from "../../process-alive.js";
import { createStateDir } from "../../create-state-dir.js";

// Lock files this process holds: a lock file naming our own pid is ours only if we took it
// here; otherwise it is a stale one from an earlier process that had the same pid (in a
// container, serve is often pid 1 on every start).
const held = new Set<string>();

interface LockContent {
  pid: number | null;
  /** The holder's admin API, once it listens: how CLIs reach the server of this very database. */
  adminUrl: string | null;
}

// The first line is the holder's pid; `admin URL` follows once the admin API listens.
/**
 * A file's one name: symlinks resolved (the file's, or its directory's while the
 * file does not exist yet), absolute. Two spellings of one database compare equal, so the
 * lock, the store id and the CLI's "is a server on this file" all agree.
 *
 * @example canonicalPath("./link.db") // "/srv/run/.switchyard/switchyard.db" when link.db links there
 */
export function canonicalPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // Not there yet (a first start): its directory may still be a symlink.
  }
  try {
    return path.join(realpathSync(path.dirname(file)), path.basename(file));
  } catch {
    return path.resolve(file);
  }
}

function readLock(lockFile: string): LockContent {
  try {
    const [first = "", ...rest] = readFileSync(lockFile, "utf8").split("\n");
    const pid = Number(first.trim());
    const admin = rest.find((line) => line.startsWith("admin "));
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null, adminUrl: admin ? admin.slice("admin ".length).trim() : null };
  } catch {
    return { pid: null, adminUrl: null };
  }
}

function readPid(lockFile: string): number | null {
  return readLock(lockFile).pid;
}

/**
 * A lock file that names no pid but was made moments ago is one being created in place
 * (the fallback without hard links writes the pid just after creating the file): held,
 * not stale.
 */
const FRESH_LOCK_MS = 5000;
function isFreshWithoutPid(lockFile: string): boolean {
  try {
    return readPid(lockFile) === null && Date.now() - statSync(lockFile).mtimeMs < FRESH_LOCK_MS;
  } catch {
    return false;
  }
}

// Writes our pid aside, then links it into place: link() fails if the lock exists, so the
// lock appears atomically, already holding the pid (a reader never sees it empty, which
// would look stale and be taken over).
function tryCreate(lockFile: string): boolean {
  const aside = `${lockFile}.${process.pid}.tmp`;
  writeFileSync(aside, `${process.pid}\n`);
  try {
    linkSync(aside, lockFile);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // A file system without hard links (vfat, exFAT, some network mounts): create in place.
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EOPNOTSUPP") return createInPlace(lockFile);
    throw error;
  } finally {
    unlinkSync(aside);
  }
}

// The exclusive create without the link: the pid follows a moment after the file appears.
function createInPlace(lockFile: string): boolean {
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
 * Refuses a database file (or its `-wal`) with more than one name. The lock lives beside
 * one name, and SQLite keeps the WAL beside the name it was opened by: a second server on
 * another name of the same file would take a lock of its own and write a WAL of its own
 * into one database, which corrupts it and loses what both acknowledged.
 */
function refuseHardLinks(dbFile: string): void {
  for (const file of [dbFile, `${dbFile}-wal`]) {
    const links = statSync(file, { throwIfNoEntry: false })?.nlink ?? 1;
    if (links > 1) {
      throw new UsageError(
        `the SQLite file ${file} has ${links} names (hard links): a switchyard or sqlite3 opening it under another name would keep a lock and a WAL of its own beside that name and corrupt the database. ` +
          `Remove the other names (find them with: find / -xdev -samefile ${file}), or copy the file where a second copy is wanted`,
      );
    }
  }
}

/**
 * Makes this process the only `switchyard serve` on a SQLite file (docs/operations.md):
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
 * const lock = acquireStoreLock(".switchyard/switchyard.db");
 * try { await serve(); } finally { lock.release(); }
 */
export function acquireStoreLock(dbFile: string): StoreLock {
  refuseHardLinks(dbFile);
  // Beside the real file: a symlink or another spelling of the path finds the same lock.
  const lockFile = `${canonicalPath(dbFile)}.lock`;
  // Taken before the store is opened, so on a first run the directory may not exist yet.
  createStateDir(path.dirname(lockFile));
  if (held.has(lockFile)) {
    throw new Error(`this process already holds ${lockFile}: open the store once and share it`);
  }
  if (!tryCreate(lockFile)) {
    if (isFreshWithoutPid(lockFile)) {
      throw new UsageError(`another process is creating ${lockFile} right now: retry in a moment`);
    }
    const pid = readPid(lockFile);
    if (pid !== null && pid !== process.pid && isAlive(pid)) {
      throw new UsageError(
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
      throw new UsageError(`another switchyard serve took ${lockFile} just now: stop it first, or give this one its own DATABASE_URL`);
    }
  }
  held.add(lockFile);
  let released = false;
  return {
    publishAdminUrl(url: string): void {
      if (released || readPid(lockFile) !== process.pid) return;
      // Written aside and renamed over the lock: a reader never sees a half-written file
      // (an empty one would look stale, and be taken over from a live server).
      const next = `${lockFile}.${process.pid}.tmp`;
      writeFileSync(next, `${process.pid}\nadmin ${url}\n`);
      renameSync(next, lockFile);
    },
    release(): void {
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
    },
  };
}

/** A held lock: `release` removes it; `publishAdminUrl` tells CLIs where this server's admin API is. */
export interface StoreLock {
  publishAdminUrl(url: string): void;
  release(): void;
}

/**
 * The live `serve` holding `dbFile`, if any: its pid and (once it listens) its admin API.
 * A lock left by a process that is gone counts as none.
 *
 * @example
 * const holder = lockHolder(".switchyard/switchyard.db"); // { pid: 4242, adminUrl: "http://127.0.0.1:9090" } or null
 */
export function lockHolder(dbFile: string): { pid: number; adminUrl: string | null } | null {
  const lockFile = `${canonicalPath(dbFile)}.lock`;
  const { pid, adminUrl } = readLock(lockFile);
  if (pid === null && isFreshWithoutPid(lockFile)) return { pid: 0, adminUrl: null };
  if (pid === null || pid === process.pid || !isAlive(pid)) return null;
  return { pid, adminUrl };
}
