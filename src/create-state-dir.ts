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
 * `mkdir -p dir` (with `mode` for each directory it creates), and a `.gitignore` of `*` in the
 * `.switchyard` directory the path lies in (the nearest one, itself or above) when it has
 * none, so that `git add -A` in a repository where `serve` ran never stages the webhook secret
 * or the database — also in a `.switchyard` made by a switchyard older than this file, or by
 * hand. A `.gitignore` that is there is left as it is.
 *
 * @example createStateDir("/srv/repo/.switchyard", { mode: 0o700 }) // also writes /srv/repo/.switchyard/.gitignore when missing
 */
export function createStateDir(dir: string, options: { mode?: number } = {}): void {
  mkdirSync(dir, { recursive: true, mode: options.mode });
  for (let at = path.resolve(dir); path.dirname(at) !== at; at = path.dirname(at)) {
    if (path.basename(at) !== STATE_DIR) continue;
    ignoreAll(at);
    return;
  }
}

function ignoreAll(dir: string): void {
  try {
    // "wx": another process that created the directory at the same instant may have written it.
    writeFileSync(path.join(dir, ".gitignore"), IGNORE_ALL, { flag: "wx" });
  } catch (error) {
    // A `.switchyard` switchyard may write below but not into (read-only, another owner) is
    // not a reason to stop: its .gitignore is a courtesy to git, not what switchyard needs.
    if (!["EEXIST", "EACCES", "EPERM", "EROFS"].includes((error as NodeJS.ErrnoException).code ?? "")) throw error;
  }
}
