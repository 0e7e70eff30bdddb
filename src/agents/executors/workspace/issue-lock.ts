import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { isAlive } from "../../../process-alive.js";
import { readProcessStart } from "../../../queue/process-group.js";

/** Who holds an issue's workspace. */
export interface LockHolder {
  task: string;
  host: string;
  pid: number;
  /** When the holding process started (readProcessStart): a pid reused by another process does not hold the lock. Absent in older locks. */
  start?: string | null;
  since: number;
}

export type IssueLock = { acquired: true; release: () => Promise<void> } | { acquired: false; holder: LockHolder | null };

/** Locks this process holds, by file: a second task of the same issue in this process is refused without touching the disk. */
const held = new Set<string>();

/**
 * One workspace per issue at a time: an exclusive lock file (`O_EXCL`) per issue under the
 * workspaces directory, holding the task, host, pid and the process's start. A lock left by a
 * process of this host that is gone (crash, SIGKILL; its pid dead, or reused by a process that
 * started since) is taken over, as is one of the same task (its earlier attempt) and one older
 * than `staleAfterMs` (longer than any run lasts: its holder died elsewhere, a pod that is gone); one of another host is honoured, so
 * processes sharing the directory over a network disk wait for each other.
 *
 * @example
 * const lock = await acquireIssueLock(path.join(root, "locks"), "octo/app", 12, "41");
 * if (!lock.acquired) throw new WaitTurnError(`task ${lock.holder?.task} works on #12`, 30_000);
 * try { … } finally { await lock.release(); }
 */
export async function acquireIssueLock(dir: string, repository: string, issue: number, task: string, { now = Date.now(), staleAfterMs = Number.POSITIVE_INFINITY }: { now?: number; staleAfterMs?: number } = {}): Promise<IssueLock> {
  const file = path.join(dir, ...repository.split("/"), `issue-${issue}.lock`);
  if (held.has(file)) return { acquired: false, holder: await readHolder(file) };
  await mkdir(path.dirname(file), { recursive: true });
  for (let tries = 0; tries < 2; tries++) {
    try {
      const handle = await open(file, "wx");
      const holder: LockHolder = { task, host: hostname(), pid: process.pid, start: readProcessStart(process.pid), since: now };
      await handle.writeFile(JSON.stringify(holder));
      await handle.close();
      held.add(file);
      return {
        acquired: true,
        release: async () => {
          held.delete(file);
          await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await readHolder(file);
      const stale =
        holder === null ||
        // This task's own earlier attempt (it runs again only once that attempt is over), or a run older than any run lasts.
        holder.task === task ||
        now - holder.since > staleAfterMs ||
        (holder.host === hostname() && (holder.pid === process.pid || !isAlive(holder.pid) || startedSince(holder)));
      if (!stale) return { acquired: false, holder };
      await unlink(file).catch(() => undefined);
    }
  }
  return { acquired: false, holder: await readHolder(file) };
}

/** The holder's pid now names another process than the one that took the lock (its start differs). */
function startedSince(holder: LockHolder): boolean {
  if (typeof holder.start !== "string") return false;
  const now = readProcessStart(holder.pid);
  return now !== null && now !== holder.start;
}

async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as LockHolder;
  } catch {
    return null;
  }
}
