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

/** The git command an argv runs (`push`), past the global options before it (`-c key=value`, `-C dir`, `--no-pager`). */
export function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-c" || arg === "-C") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return args[0] ?? "";
}

/**
 * What a person needs of git's stderr, on one line: its errors and what the remote said
 * (a hook's refusal), not its hints; the last three lines when none is marked.
 *
 * @example summarizeStderr("hint: x\nremote: protected by policy\n ! [remote rejected] b -> b\nerror: failed to push") // "remote: protected by policy ! [remote rejected] b -> b error: failed to push"
 */
export function summarizeStderr(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("hint:"));
  const marked = lines.filter((line) => /^(remote:|error:|fatal:| ! )/.test(line));
  return (marked.length > 0 ? marked.slice(-6) : lines.slice(-3)).join(" ");
}

/**
 * What every git command switchyard runs is given, because the coding agent runs as the same
 * user with the same HOME: the user's global config is not read (the agent could write
 * `~/.gitconfig`: an `http.proxy` that receives the token's header), and no hook runs (the
 * agent could plant one in the shared mirror, to run during the next fetch with the token in
 * its environment). The system config (`/etc/gitconfig`, root's) still applies: proxy and CA
 * settings belong there.
 */
const CONFINED_ENV = { GIT_CONFIG_GLOBAL: "/dev/null" };
// The repositories git runs in are switchyard's own mirrors and worktrees, or an Actions
// job's checkout, which actions/checkout marks safe in the global config no longer read.
const CONFINED_ARGS = ["-c", "core.hooksPath=/dev/null", "-c", "safe.directory=*"];

/**
 * Runs git with an allowlisted environment, no global config, no hooks and no prompt (a
 * missing credential fails instead of waiting for a terminal). Resolves with stdout; rejects
 * with a GitError.
 *
 * @example const sha = (await runGit(["rev-parse", "HEAD"], { cwd, baseEnv: process.env })).trim();
 */
export function runGit(args: readonly string[], options: GitOptions): Promise<string> {
  const env: Record<string, string> = {};
  for (const name of PASSED) {
    const value = options.baseEnv[name];
    if (value) env[name] = value;
  }
  Object.assign(env, { GIT_TERMINAL_PROMPT: "0" }, options.env, CONFINED_ENV);
  return new Promise((resolve, reject) => {
    const child = spawn("git", [...CONFINED_ARGS, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.once("error", (error) => reject(new GitError(`git ${subcommandOf(args)}: ${error.message}`, "", null)));
    child.once("close", (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      let stderr = Buffer.concat(err).toString("utf8").trim();
      for (const secret of options.secrets ?? []) if (secret) stderr = stderr.split(secret).join("***");
      reject(new GitError(`git ${subcommandOf(args)} failed (exit ${code}): ${summarizeStderr(stderr) || "no message"}`, stderr, code));
    });
  });
}
