import path from "node:path";
import { BASE_ENV_NAMES } from "../agents/executors/exec-executor.js";
import { ENV_KEYS } from "../config/read-env.js";
import type { Config } from "../config/schema.js";
import { ACTIONS_MAX_RETRY_WAIT_MS } from "../queue/worker.js";

/** What init can see of the repository it writes into: only for notes, never for the plan's shape. */
export interface RepositoryFiles {
  /** What a `/`-separated path relative to the repository root is now; null when absent. */
  kind(relative: string): "file" | "directory" | null;
  /** Whether that file may be executed (its mode, on this machine). */
  executable(relative: string): boolean;
}

/** One repository secret a job passes to switchyard's step, and the agents that need it. */
export interface SecretNeed {
  name: string;
  /** Every agent that needs it: listed under `env:`, or read as the `http.secret`. */
  agents: string[];
  /**
   * Those of `agents` that sign their requests with it (`http.secret: {env: NAME}`): unset,
   * each of their tasks fails, where an `env:` name unset only leaves the agent without it.
   */
  signing: string[];
}

/** What the agents of one job need on the runner besides the config. */
export interface AgentSetup {
  /** Sparse-checkout patterns (anchored at the repository root) beside the config file. */
  checkout: string[];
  /** Variables the agents list under `env:` or sign with, passed to the step from repository secrets. */
  secrets: SecretNeed[];
  /** What the user must know or do: programs the runner must have, names no secret can carry. */
  notes: string[];
  /**
   * A workspace agent runs in a worktree of the job's checkout, which must then hold the
   * whole repository (of the trusted ref): no sparse checkout.
   */
  wholeRepository: boolean;
  /**
   * How long the slowest of the job's exec, http and workspace agents (by timeout) may take
   * with its retries, in a workflow run: every
   * attempt to its timeout (a timed-out agent is retried), and the backoff between them as
   * Actions mode waits it (ms; 0 when none).
   */
  longestRunMs: number;
}

/** An agent of timeout `timeoutMs` run to the end of `retry`: each attempt to its timeout, and the waits between them. */
export function runWithRetriesMs(timeoutMs: number, retry: Config["retry"]): number {
  if (timeoutMs <= 0) return 0;
  let total = timeoutMs * (retry.maxRetries + 1);
  let delay = retry.initialDelayMs;
  for (let i = 0; i < retry.maxRetries; i++) {
    // A longer wait ends the task in a workflow run instead (withinAWorkflowRun).
    total += Math.min(delay, retry.maxDelayMs, ACTIONS_MAX_RETRY_WAIT_MS);
    delay *= retry.multiplier;
  }
  return total;
}

// GitHub's rule for secret names: letters, digits and underscores, not starting with a
// digit, and not starting with GITHUB_ (docs.github.com, "Naming your secrets").
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by the runner itself (or by switchyard for its agents): a secret would override it, empty when missing. */
const RUNNER_PREFIXES = ["GITHUB_", "RUNNER_", "ACTIONS_", "SWITCHYARD_"];
const RUNNER_NAMES = new Set(["CI", ...BASE_ENV_NAMES]);

/** A relative path as git sees it (`/`-separated, no `./`); null when it leaves the repository. */
function insideRepository(argument: string): string | null {
  const normalized = path.posix.normalize(argument);
  if (normalized === ".." || normalized.startsWith("../")) return null;
  return normalized.replace(/\/+$/, "");
}

/**
 * A gitignore-style pattern (sparse-checkout in non-cone mode) that matches exactly this
 * path from the root: anchored with a leading `/` (a bare name would match at any depth),
 * its glob characters escaped.
 *
 * @example sparsePattern("agents", true) // "/agents/"
 */
export function sparsePattern(relative: string, directory: boolean): string {
  const escaped = relative.replace(/[*?[\\]/g, "\\$&");
  return `/${escaped}${directory ? "/" : ""}`;
}

/** Whether a path can be one line of the `sparse-checkout:` input (actions/checkout trims each line). */
function patternable(relative: string): boolean {
  return !/\p{Cc}/u.test(relative) && relative.trim() === relative;
}

/**
 * The pattern that brings `relative` onto the runner: its directory, since a program rarely
 * stands alone (a script sources its helpers, reads a prompt beside it) and the directory
 * is where its author keeps them; a file at the repository's root alone, as its directory
 * would be the whole repository. A directory argument is checked out as it is.
 */
function checkoutPattern(relative: string, kind: "file" | "directory"): string | null {
  if (relative === "." || relative === "") return null;
  if (kind === "directory") return sparsePattern(relative, true);
  const folder = path.posix.dirname(relative);
  return folder === "." ? sparsePattern(relative, false) : sparsePattern(folder, true);
}

/** Why `name` under an agent's `env:` gets no `secrets.` mapping, or null when it gets one. */
function unmapped(name: string): { quiet: boolean; why?: string } | null {
  if (name === "GITHUB_TOKEN") return { quiet: true }; // already in the step, from the job's own token
  if (name in ENV_KEYS) return { quiet: false, why: "is also one of switchyard's own settings, so it is not mapped from a secret (it would change switchyard's config too): set it in the step's env yourself if you mean both" };
  if (RUNNER_NAMES.has(name) || RUNNER_PREFIXES.some((prefix) => name.startsWith(prefix))) return { quiet: true }; // the runner (or switchyard) sets it
  if (!SECRET_NAME.test(name)) return { quiet: false, why: "cannot be a repository secret's name (letters, digits and _ only): set it in the step's env yourself" };
  return null;
}

/**
 * What the agents a job runs need on a GitHub-hosted runner beyond switchyard.config.yaml:
 * for each `exec` agent, the repository paths of its program (and of arguments that name a
 * path in the repository) to check out beside the config, from the same trusted ref; for
 * each `exec` and `workspace` agent, the `env:` names to pass from repository secrets (and an
 * `http` agent's `secret: {env: NAME}`); and
 * notes for programs outside the repository, which the runner must already have. Bare
 * program names are found on the runner's PATH: nothing to check out. `files` (the
 * repository as init sees it) decides which arguments are paths and adds notes for a
 * program that is missing or not executable; without it only the programs are planned.
 *
 * @example planAgentSetup(["MyAgent"], config).checkout // ["/agents/"] for exec: ["./agents/ok.sh"]
 */
export function planAgentSetup(agents: readonly string[], config: Config, files?: RepositoryFiles): AgentSetup {
  const checkout: string[] = [];
  const secrets = new Map<string, SecretNeed>();
  const notes: string[] = [];
  const add = (pattern: string | null) => {
    if (pattern !== null && !checkout.includes(pattern)) checkout.push(pattern);
  };
  let wholeRepository = false;
  let longestTimeoutMs = 0;
  for (const agent of agents) {
    const executor = config.agents[agent];
    if (executor === undefined || typeof executor !== "object") continue;
    if ("workspace" in executor) wholeRepository = true;
    const timeout = "workspace" in executor ? executor.workspace.timeout : "timeout" in executor ? executor.timeout : 0;
    longestTimeoutMs = Math.max(longestTimeoutMs, timeout);
    let names: readonly string[];
    if ("exec" in executor) {
      const [program, ...args] = executor.exec as [string, ...string[]];
      planProgram(agent, program, files, add, notes);
      for (const arg of args) {
        // An argument is a path when it names one in the repository: the only way to tell a
        // script (`agents/review.py`) from a word with a slash in it (`--model`, `a/b testing`).
        if (files === undefined || arg.startsWith("-") || path.isAbsolute(arg)) continue;
        const relative = insideRepository(arg);
        const kind = relative === null ? null : files.kind(relative);
        if (relative !== null && kind !== null && patternable(relative)) add(checkoutPattern(relative, kind));
      }
      names = executor.env;
    } else if ("workspace" in executor) {
      names = executor.workspace.env; // its program runs in a worktree of the whole repository
    } else if ("http" in executor && typeof executor.http.secret !== "string") {
      names = [executor.http.secret.env]; // the signing key, read where switchyard runs: the step
    } else {
      continue;
    }
    const signs = "http" in executor;
    for (const name of names) {
      const skip = unmapped(name);
      if (skip !== null) {
        if (!skip.quiet) notes.push(`${agent} lists ${name} under env: it ${skip.why}`);
        continue;
      }
      const need = secrets.get(name) ?? { name, agents: [], signing: [] };
      if (!need.agents.includes(agent)) need.agents.push(agent);
      if (signs && !need.signing.includes(agent)) need.signing.push(agent);
      secrets.set(name, need);
    }
  }
  return { checkout, secrets: [...secrets.values()], notes, wholeRepository, longestRunMs: runWithRetriesMs(longestTimeoutMs, config.retry) };
}

function planProgram(agent: string, program: string, files: RepositoryFiles | undefined, add: (pattern: string | null) => void, notes: string[]): void {
  // A bare name is looked up on PATH when spawned, like a shell does: nothing to check out.
  if (!program.includes("/")) return;
  const relative = path.isAbsolute(program) ? null : insideRepository(program);
  if (relative === null) {
    notes.push(`${agent} runs ${program}, outside the repository: the runner must have it (ubuntu-latest has only what GitHub installs; add a step before switchyard's that installs it, or use a self-hosted runner)`);
    return;
  }
  if (!patternable(relative)) {
    notes.push(`${agent} runs ${JSON.stringify(program)}: a path with control characters or surrounding spaces cannot be written as a sparse-checkout pattern; rename it`);
    return;
  }
  add(checkoutPattern(relative, "file"));
  if (files === undefined) return;
  const kind = files.kind(relative);
  if (kind !== "file") {
    notes.push(`${agent} runs ${program}, which is not a file in this repository: commit it there (executable), or every run of ${agent} fails with "cannot run ${program}: … does not exist"`);
  } else if (!files.executable(relative)) {
    notes.push(`${agent} runs ${program}, which is not executable: chmod +x ${relative} (or git update-index --chmod=+x ${relative}) and commit it`);
  }
}
