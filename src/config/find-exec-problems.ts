import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import type { Config } from "./schema.js";

export interface ExecProblemOptions {
  /** Where switchyard runs: a relative program path resolves against it, as when it is spawned. */
  cwd: string;
  /** The environment whose PATH finds a bare program name. */
  env: Record<string, string | undefined>;
}

/** Why `file` cannot be run, or null when it can. */
function whyNotRunnable(file: string): string | null {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return "not found";
  }
  if (!isFile) return "not a file";
  try {
    accessSync(file, constants.X_OK);
    return null;
  } catch {
    return `not executable: chmod +x ${file}`;
  }
}

/**
 * Warnings for `exec` agents whose program cannot be started from here: a path that does not
 * exist or is not executable, or a bare name found on no PATH directory. Only warnings: the
 * program may be installed where switchyard will really run.
 *
 * @example
 * findExecProblems(config, { cwd: "/srv", env: process.env })
 * // ['agents.ReviewAgent.exec[0]: "./agents/review.sh" is not found (resolved to /srv/agents/review.sh)']
 */
export function findExecProblems(config: Config, options: ExecProblemOptions): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(config.agents)) {
    if (typeof spec !== "object" || !("exec" in spec)) continue;
    const program = spec.exec[0]!;
    const key = `agents.${name}.exec[0]`;
    if (program.includes("/") || program.includes(path.sep)) {
      const file = path.resolve(options.cwd, program);
      const why = whyNotRunnable(file);
      if (why === null) continue;
      const resolved = file === program || why.startsWith("not executable") ? "" : ` (resolved to ${file})`;
      problems.push(`${key}: "${program}" is ${why}${resolved}`);
      continue;
    }
    const dirs = (options.env.PATH ?? "").split(path.delimiter).filter(Boolean);
    const found = dirs.map((dir) => path.join(dir, program)).find((file) => whyNotRunnable(file) === null);
    if (!found) problems.push(`${key}: "${program}" is not found on PATH${dirs.length === 0 ? " (PATH is empty)" : ""}: install it, or write its path`);
  }
  return problems;
}
