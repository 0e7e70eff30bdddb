import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { RepositoryFiles } from "./plan-agent-setup.js";

const GIT_TIMEOUT_MS = 5000;

function git(dir: string, args: string[]): string | null {
  try {
    const out = execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: GIT_TIMEOUT_MS }).trim();
    return out === "" ? null : out;
  } catch {
    // No git, not a repository, no origin/HEAD, a detached HEAD: the caller falls back.
    return null;
  }
}

/**
 * The repository's default branch as git knows it: origin's HEAD (set by clone), else the
 * branch checked out; null outside a repository or without git.
 *
 * @example readDefaultBranch(process.cwd()) ?? "main"
 */
export function readDefaultBranch(dir: string): string | null {
  const remote = git(dir, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"]);
  if (remote?.startsWith("origin/")) return remote.slice("origin/".length);
  return git(dir, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
}

/**
 * The names of the workflows in `.github/workflows` (`*.yml`, `*.yaml`), sorted by file,
 * minus the files in `exclude`. A workflow without a `name:` (or that does not parse) goes
 * by its path, as GitHub names it; workflow_run's `workflows:` filter matches those names.
 *
 * @example readWorkflowNames(".", [".github/workflows/webhook-handler.yml"]) // ["CI", "Release"]
 */
export function readWorkflowNames(dir: string, exclude: readonly string[]): string[] {
  const folder = path.join(dir, ".github", "workflows");
  let files: string[];
  try {
    files = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const file of files) {
    const relative = `.github/workflows/${file}`;
    if (exclude.includes(relative)) continue;
    let name: unknown = null;
    try {
      name = (parseYaml(readFileSync(path.join(folder, file), "utf8")) as { name?: unknown } | null)?.name;
    } catch {
      // An invalid workflow still has a name on GitHub: its path.
    }
    names.push(typeof name === "string" && name.trim() !== "" ? name : relative);
  }
  return [...new Set(names)];
}

/**
 * The repository's files as they are in `dir` now, for the notes about exec agents'
 * programs (missing, not executable). A symbolic link counts as what it points at.
 *
 * @example readRepositoryFiles(".").kind("agents/review.sh") // "file"
 */
export function readRepositoryFiles(dir: string): RepositoryFiles {
  return {
    kind(relative) {
      try {
        const stat = statSync(path.join(dir, relative));
        return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : null;
      } catch {
        return null;
      }
    },
    executable(relative) {
      try {
        accessSync(path.join(dir, relative), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}
