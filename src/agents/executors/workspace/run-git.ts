import { spawn } from "node:child_process";

export interface GitOptions {
  cwd: string;
  /** Where PATH, HOME and the locale come from (switchyard's own environment). */
  baseEnv: Record<string, string | undefined>;
  /** Added for this one command: the token header of a fetch or push, an author. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Values masked in the error message (the token). */
  secrets?: readonly string[];
}

/** A git command that failed: its arguments, exit code and (masked) stderr. */
export class GitError extends Error {
  override readonly name = "GitError";
  constructor(
    message: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(message);
  }
}

const PASSED = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT"];

/**
 * Runs git with an allowlisted environment and no prompt (a missing credential fails instead
 * of waiting for a terminal). Resolves with stdout; rejects with a GitError.
 *
 * @example const sha = (await runGit(["rev-parse", "HEAD"], { cwd, baseEnv: process.env })).trim();
 */
export function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  const env: Record<string, string> = {};
  for (const name of PASSED) {
    const value = options.baseEnv[name];
    if (value) env[name] = value;
  }
  Object.assign(env, { GIT_TERMINAL_PROMPT: "0" }, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", (error) => reject(new GitError(`git ${args[0]}: ${error.message}`, "", null)));
    child.once("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      let stderr = Buffer.concat(err).toString("utf8").trim();
      for (const secret of options.secrets ?? []) if (secret) stderr = stderr.split(secret).join("***");
      reject(new GitError(`git ${args[0]} failed (exit ${code}): ${stderr.split("\n").slice(-3).join(" ") || "no message"}`, stderr, code));
    });
  });
}
