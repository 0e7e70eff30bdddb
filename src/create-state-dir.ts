import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The directory switchyard keeps its own files in, in the directory it runs from: the
 * generated webhook secret, the default SQLite database (which holds event payloads) and the
 * default workspaces. None of it belongs in a repository.
 */
export const STATE_DIR = ".switchyard";

// `*` matches this file too: the directory ignores itself whole, and nothing else in the
// repository (its own .gitignore) is changed.
const IGNORE_ALL = "# Written by switchyard: its webhook secret, database and workspaces stay out of git.\n*\n";

/**
 * `mkdir -p dir` (with `mode` for each directory it creates), and a `.gitignore` of `*` in each
 * `.switchyard` directory this call creates, so that `git add -A` in a repository where
 * `serve` ran never stages the webhook secret or the database. A `.switchyard` directory
 * that already existed is left as it is.
 *
 * @example createStateDir("/srv/repo/.switchyard", { mode: 0o700 }) // also writes /srv/repo/.switchyard/.gitignore the first time
 */
export function createStateDir(dir: string, options: { mode?: number } = {}): void {
  const first = mkdirSync(dir, { recursive: true, mode: options.mode });
  if (first === undefined) return;
  // mkdir -p names the first directory it created; the others are the ones below it down to dir.
  const top = path.resolve(first);
  for (let created = path.resolve(dir); ; created = path.dirname(created)) {
    if (path.basename(created) === STATE_DIR) ignoreAll(created);
    if (created === top || path.dirname(created) === created) break;
  }
}

function ignoreAll(dir: string): void {
  try {
    // "wx": another process that created the directory at the same instant may have written it.
    writeFileSync(path.join(dir, ".gitignore"), IGNORE_ALL, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
