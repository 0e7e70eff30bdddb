import { lstat, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

/**
 * Bytes of disk a directory takes, as `du` counts them: the blocks allocated to every file,
 * directory and link under it (links not followed; a file's size where the system reports no
 * blocks); 0 when it does not exist. A tree of many small files (a git mirror, a worktree)
 * takes several times the sum of its files' sizes.
 */
export async function diskUsage(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = await allocated(dir);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await diskUsage(full) : await allocated(full);
  }
  return total;
}

async function allocated(file: string): Promise<number> {
  const info = await lstat(file).catch(() => null);
  if (info === null) return 0;
  return Number.isFinite(info.blocks) && info.blocks > 0 ? info.blocks * 512 : info.size;
}

export interface BudgetResult {
  used: number;
  /** Mirrors removed to get under the budget. */
  removed: string[];
}

/**
 * Keeps the workspaces directory under `budget` bytes: while it is over, removes the least
 * recently used mirror (`mirrors/<owner>/<repo>.git`, by modification time) that is not in
 * `inUse`. Worktrees are never removed here: each run removes its own when it ends. What
 * remains over budget is reported in `used`, for the caller to refuse the run.
 *
 * @example const { used } = await enforceDiskBudget(root, 10 * 1024 ** 3, new Set([mirrorDir]));
 */
export async function enforceDiskBudget(root: string, budget: number, inUse: ReadonlySet<string>): Promise<BudgetResult> {
  let used = await diskUsage(root);
  const removed: string[] = [];
  if (used <= budget) return { used, removed };
  const mirrorsDir = path.join(root, "mirrors");
  const candidates: { dir: string; mtime: number }[] = [];
  for (const owner of await readdir(mirrorsDir).catch(() => [] as string[])) {
    for (const repo of await readdir(path.join(mirrorsDir, owner)).catch(() => [] as string[])) {
      const dir = path.join(mirrorsDir, owner, repo);
      if (inUse.has(dir)) continue;
      candidates.push({ dir, mtime: (await stat(dir)).mtimeMs });
    }
  }
  candidates.sort((a, b) => a.mtime - b.mtime);
  for (const { dir } of candidates) {
    if (used <= budget) break;
    const size = await diskUsage(dir);
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
    used -= size;
  }
  return { used, removed };
}
