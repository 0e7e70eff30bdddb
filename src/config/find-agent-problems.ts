import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { referenceProblem, variableReference } from "./agent-secret-length.js";
import type { Config } from "./schema.js";

export interface AgentProblemOptions {
  /** Where switchyard runs: a relative program path resolves against it, as when it is spawned. */
  cwd: string;
  /** The environment whose PATH finds a bare program name. */
  env: Record<string, string | undefined>;
  /**
   * true in `serve`, whose environment is the one the agents get their `env:` names from;
   * `check` runs in an operator's shell, which may lack what the service's environment sets.
   */
  serving?: boolean;
}

/**
 * Why a script's `#!` line keeps it from starting, or null: a line that ends in a carriage
 * return (Windows line endings: the kernel looks for an interpreter named "bash\r"), or an
 * interpreter that is not there. Both make spawn say ENOENT about a file that exists.
 * `#!/usr/bin/env NAME` (and `env -S NAME ARGS`) looks NAME up on `env`'s PATH: env
 * itself starts, and a missing NAME only shows as its exit code 127.
 *
 * @example interpreterProblem("./agents/crlf.sh") // "its #! line ends with a carriage return (Windows line endings): …"
 * @example interpreterProblem("./agents/ask.js", { PATH: "/usr/bin" }) // "its #! line runs env nodejs-missing, and nodejs-missing is not found on PATH"
 */
export function interpreterProblem(file: string, env: AgentProblemOptions["env"] = process.env): string | null {
  const head = Buffer.alloc(256);
  let length: number;
  try {
    const fd = openSync(file, "r");
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
  const text = head.subarray(0, length).toString("latin1");
  if (!text.startsWith("#!")) return missingShebang(file, text);
  const end = text.indexOf("\n");
  const line = end === -1 ? text : text.slice(0, end);
  if (line.endsWith("\r")) return "its #! line ends with a carriage return (Windows line endings): convert the file with dos2unix, or sed -i 's/\\r$//'";
  const [interpreter = "", ...args] = line.slice(2).trim().split(/\s+/);
  if (interpreter.startsWith("/") && !existsSync(interpreter)) return `its #! interpreter ${interpreter} is not installed here`;
  if (path.basename(interpreter) !== "env") return null;
  const program = envProgram(args);
  if (program === null) return null;
  // Found and executable is enough: its own #! line is not followed (a script naming itself would loop).
  if (program.includes("/") ? isExecutableFile(program) : pathDirs(env).some((dir) => isExecutableFile(path.join(dir, program)))) return null;
  return `its #! line runs env ${program}, and ${program} is not found on ${program.includes("/") ? "this machine" : `PATH${pathNote(env)}`}`;
}

/** A script's language by its file name, and the interpreter its `#!` line would name. */
const INTERPRETERS: Readonly<Record<string, string>> = { ".js": "node", ".mjs": "node", ".cjs": "node", ".py": "python3", ".rb": "ruby", ".pl": "perl", ".php": "php" };

/**
 * A script in another language than the shell's with no `#!` line: the kernel will not run
 * it, so spawning falls back to /bin/sh, which fails on its first line (exit 2 or 127, and
 * shell syntax errors in the output). A binary (an ELF file) or a shell script is fine.
 */
function missingShebang(file: string, text: string): string | null {
  const interpreter = INTERPRETERS[path.extname(file).toLowerCase()];
  if (interpreter === undefined || text.startsWith("\x7fELF")) return null;
  return `it has no #! line, so it is run by /bin/sh, not ${interpreter}: make its first line #!/usr/bin/env ${interpreter}, or put ${interpreter} first in the agent's exec list`;
}

/**
 * The program `env` runs, given what follows it on a `#!` line: past its options (`-S`
 * splits the rest into arguments; `-u NAME` takes a name) and NAME=value assignments.
 * Null when there is none to check (an option this does not know).
 */
function envProgram(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-S" || arg === "--split-string" || arg === "-i" || arg === "--ignore-environment" || arg === "-") continue;
    if (arg === "-u" || arg === "--unset") {
      i++;
      continue;
    }
    if (arg.startsWith("-S") && arg.length > 2) return arg.slice(2);
    if (arg.startsWith("-")) return null;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) continue;
    return arg;
  }
  return null;
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Why `file` cannot be run, or null when it can; `env`'s PATH finds what its `#!` line names through env. */
function whyNotRunnable(file: string, env: AgentProblemOptions["env"]): string | null {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    return "not found";
  }
  if (!isFile) return "not a file";
  try {
    accessSync(file, constants.X_OK);
  } catch {
    return `not executable: chmod +x ${file}`;
  }
  const interpreter = interpreterProblem(file, env);
  return interpreter === null ? null : `found, but ${interpreter}`;
}

/** Why an http agent whose secret comes from the environment cannot sign: said by `check`, `serve` and the failed task. */
export function unsetSecret(variable: string): string {
  return `http.secret is read from ${variable}, which is not set in this process's environment: set it where switchyard runs`;
}

/**
 * Why an agent gets nothing for a name it lists under `env:`: unset (or empty) here. Said by
 * `check` from a shell that may not be the service's, so that case is named too; in `serve`
 * the process's environment is the one the agent's comes from.
 */
function unsetEnvName(agent: string, key: string, variable: string, serving: boolean): string {
  const where = serving ? "this process's environment" : "the environment check runs in";
  const unless = serving
    ? "set it where switchyard runs, or remove it from env:"
    : "fine if it is set where switchyard really runs (a service's environment file, a workflow step's env:), which check cannot see; else set it there";
  return `${key}: ${variable} is not set in ${where}, so ${agent} runs without it: ${unless}`;
}

/** A timeout this short is almost always seconds written as a bare number, which counts milliseconds. */
const SHORT_TIMEOUT_MS = 1000;

/**
 * Warnings for agents that cannot work from here, or whose settings look like a slip: an
 * http secret read from a variable that is not set, or written as `${VAR}` (not expanded),
 * a name under an exec or workspace agent's `env:` that is not set, a timeout under a second. Then the `exec` programs that cannot be started from here: a path that does not
 * exist or is not executable, or a bare name found on no PATH directory. Only warnings: the
 * program may be installed where switchyard will really run.
 *
 * @example
 * findAgentProblems(config, { cwd: "/srv", env: process.env })
 * // ['agents.ReviewAgent.exec[0]: "./agents/review.sh" is not found (resolved to /srv/agents/review.sh)']
 */
export function findAgentProblems(config: Config, options: AgentProblemOptions): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(config.agents)) {
    if (typeof spec !== "object") continue;
    const timeout = "workspace" in spec ? spec.workspace.timeout : "timeout" in spec ? spec.timeout : undefined;
    if (timeout !== undefined && timeout > 0 && timeout < SHORT_TIMEOUT_MS) {
      const key = "workspace" in spec ? `agents.${name}.workspace.timeout` : `agents.${name}.timeout`;
      problems.push(`${key}: ${timeout}ms is under a second, so every run would time out: a bare number counts milliseconds (write ${timeout}s for seconds)`);
    }
    if ("http" in spec) {
      const { secret } = spec.http;
      if (typeof secret !== "string" && !options.env[secret.env]?.trim()) problems.push(`agents.${name}.${unsetSecret(secret.env)}`);
      const variable = typeof secret === "string" ? variableReference(secret) : null;
      if (variable !== null) problems.push(`agents.${name}.http.secret: ${referenceProblem(secret as string, variable)}`);
      continue;
    }
    const listed = "exec" in spec ? { key: `agents.${name}.env`, names: spec.env } : "workspace" in spec ? { key: `agents.${name}.workspace.env`, names: spec.workspace.env } : null;
    for (const variable of listed?.names ?? []) {
      // A workspace agent that lists GITHUB_TOKEN is given the token switchyard pushes with.
      if ("workspace" in spec && variable === "GITHUB_TOKEN") continue;
      if (!options.env[variable]) problems.push(unsetEnvName(name, listed!.key, variable, options.serving === true));
    }
    // A workspace agent's program runs in the issue repository's worktree: a relative path
    // names a file of that repository (not checkable from here), a bare name one on PATH.
    if ("workspace" in spec) {
      const program = spec.workspace.run[0]!;
      if (!program.includes("/") && !onPath(program, options.env)) problems.push(`agents.${name}.workspace.run[0]: "${program}" is not found on PATH${pathNote(options.env)}: install it, or write its path`);
      continue;
    }
    if (!("exec" in spec)) continue;
    const program = spec.exec[0]!;
    const key = `agents.${name}.exec[0]`;
    if (program.includes("/") || program.includes(path.sep)) {
      const file = path.resolve(options.cwd, program);
      const why = whyNotRunnable(file, options.env);
      if (why === null) continue;
      const resolved = file === program || why.startsWith("not executable") || why.startsWith("found") ? "" : ` (resolved to ${file})`;
      problems.push(`${key}: "${program}" is ${why}${resolved}`);
      continue;
    }
    if (!onPath(program, options.env)) problems.push(`${key}: "${program}" is not found on PATH${pathNote(options.env)}: install it, or write its path`);
  }
  return problems;
}

function pathDirs(env: AgentProblemOptions["env"]): string[] {
  return (env.PATH ?? "").split(path.delimiter).filter(Boolean);
}

/** Whether a bare program name is found, runnable, in a PATH directory. */
function onPath(program: string, env: AgentProblemOptions["env"]): boolean {
  return pathDirs(env).some((dir) => whyNotRunnable(path.join(dir, program), env) === null);
}

function pathNote(env: AgentProblemOptions["env"]): string {
  return pathDirs(env).length === 0 ? " (PATH is empty)" : "";
}
