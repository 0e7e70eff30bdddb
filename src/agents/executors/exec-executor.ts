import { MASK_CONTEXT, maskSecrets } from "./workspace/mask-secrets.js";
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { interpreterProblem } from "../../config/find-agent-problems.js";
import { killGroup, signalGroup } from "../../queue/process-group.js";
import { NEVER_PASSED_ENV } from "../../security/agent-env.js";
import { cutNote } from "./output-cut.js";

/** An `exec` agent from the config: `{exec: [argv…], timeout, env: [NAMES]}`. */
export interface ExecAgentSpec {
  /** Program and arguments, never a shell string. */
  argv: readonly string[];
  /** Kill the group after this long; 0 or less means no limit. */
  timeoutMs: number;
  /** Extra variable names passed through from the environment (e.g. OPENAI_API_KEY). */
  env: readonly string[];
}

export interface ExecAgentInput {
  /** Written to stdin as one line of JSON. */
  task: Record<string, unknown>;
  /** SWITCHYARD_AGENT, SWITCHYARD_EVENT, … set by the caller. */
  vars: Record<string, string>;
}

export interface ExecAgentOptions {
  /** The environment the allowlisted names are taken from (the caller's process.env). */
  baseEnv: Record<string, string | undefined>;
  /** Aborting it (shutdown) kills the process group; the run counts as transient. */
  signal?: AbortSignal;
  cwd?: string;
  /** Keep this many bytes of the end of stdout+stderr; default 16 KiB. */
  outputLimitBytes?: number;
  /** Between SIGTERM and SIGKILL; default 2 s. */
  killGraceMs?: number;
  /**
   * Called once the program runs, with its pid (also its process group id): the worker
   * records it on the attempt, so a later process can end an orphan of this one.
   */
  onSpawn?: (pid: number) => void;
}

export interface ExecResult {
  outcome: "succeeded" | "transient" | "permanent";
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The tail of interleaved stdout and stderr. */
  output: string;
  /** One line for a run that did not succeed; null on success. */
  error: string | null;
}

/** Always passed when set: what a program needs to find itself and behave. */
export const BASE_ENV_NAMES: readonly string[] = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"];

/** sysexits.h: "temporary failure; the user is invited to retry". */
const EX_TEMPFAIL = 75;
/** What shells and env exit with when the program they were to run is not found. */
const COMMAND_NOT_FOUND = 127;
const DEFAULT_OUTPUT_LIMIT = 16 * 1024;
const DEFAULT_KILL_GRACE_MS = 2000;
/** setTimeout fires at once past this (2^31-1 ms, ~24.8 days): treat longer as no timeout. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long to wait for the pipes to drain after the last process of the group is gone. */
const DRAIN_MS = 500;
// Resource exhaustion at spawn time passes; a missing or non-executable program does not.
const TRANSIENT_SPAWN_CODES = new Set(["EAGAIN", "ENOMEM", "EMFILE", "ENFILE"]);

/**
 * The environment an exec agent gets: an allowlist, never the worker's whole environment.
 * BASE_ENV_NAMES and the names in `listed` come from `baseEnv` (empty counts as unset),
 * then `vars`; NEVER_PASSED_ENV names are removed whatever their source.
 *
 * @example buildExecEnv(["OPENAI_API_KEY"], { SWITCHYARD_AGENT: "ReviewAgent" }, process.env)
 */
export function buildExecEnv(
  listed: readonly string[],
  vars: Record<string, string>,
  baseEnv: Record<string, string | undefined>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV_NAMES, ...listed]) {
    const value = baseEnv[name];
    if (value !== undefined && value !== "") env[name] = value;
  }
  Object.assign(env, vars);
  for (const name of NEVER_PASSED_ENV) delete env[name];
  return env;
}

/**
 * Runs an exec agent (docs/configuration.md#exec-agents): argv without a shell, the task JSON on stdin, an
 * allowlisted environment. The child leads its own process group, so on timeout or abort
 * the whole group (grandchildren included) gets SIGTERM, then SIGKILL after a grace period;
 * anything of the group still running when the leader exits is ended the same way, so
 * nothing outlives the run (except a process that left the group with setsid). Never
 * throws: every failure is an ExecResult. Exit 0 succeeds; 75 (EX_TEMPFAIL), a timeout or
 * an abort is transient; anything else is permanent.
 *
 * @example
 * const result = await runExecAgent(
 *   { argv: ["./agents/review.sh", "--fast"], timeoutMs: 600_000, env: ["OPENAI_API_KEY"] },
 *   { task, vars: { SWITCHYARD_AGENT: "ReviewAgent", SWITCHYARD_TASK: "42" } },
 *   { baseEnv: process.env, signal: shutdown.signal },
 * );
 */
export async function runExecAgent(
  spec: ExecAgentSpec,
  input: ExecAgentInput,
  options: ExecAgentOptions,
): Promise<ExecResult> {
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const limit = options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT;
  const tail = createTail(limit + MASK_CONTEXT);
  const [program, ...args] = spec.argv;
  if (program === undefined || program === "") return failed("permanent", "exec agent has an empty argv", "");
  if (options.signal?.aborted) return failed("transient", "aborted before start", "");
  // Encoded before the spawn: a document that cannot be encoded must not leave a child
  // waiting on a stdin that never closes.
  const stdin = encodeTaskDocument(input.task);
  if (typeof stdin !== "string") return failed("permanent", stdin.error, "");

  const env = buildExecEnv(spec.env, input.vars, options.baseEnv);
  const child = spawn(program, args, {
    cwd: options.cwd,
    env,
    detached: true,
    shell: false,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once("exit", (code, signal) => resolve([code, signal])),
  );
  const spawnError = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (error) => resolve(error));
  });
  if (spawnError !== null || child.pid === undefined) return spawnFailure(program, options.cwd, spawnError, env);
  const pid = child.pid;
  // Later errors (a failed kill) carry nothing the exit status does not say.
  child.on("error", () => {});
  liveGroups.add(pid);
  killLiveGroupsOnExit();
  try {
    options.onSpawn?.(pid);
  } catch {
    // The caller's bookkeeping never stops the run.
  }

  child.stdout.on("data", tail.push);
  child.stderr.on("data", tail.push);
  // A child that never reads stdin closes it on us: EPIPE is its right, not our failure.
  child.stdin.on("error", () => {});
  child.stdin.end(`${stdin}\n`);

  let killedFor: "timeout" | "abort" | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const terminate = (why: "timeout" | "abort"): void => {
    if (killedFor !== null) return;
    killedFor = why;
    signalGroup(pid, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
  };
  const timeoutTimer =
    spec.timeoutMs > 0 && spec.timeoutMs <= MAX_TIMER_MS ? setTimeout(() => terminate("timeout"), spec.timeoutMs) : undefined;
  const onAbort = (): void => terminate("abort");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // An abort between the check above and here fired no event we could hear.
  if (options.signal?.aborted) onAbort();

  const [exitCode, exitSignal] = await exited;
  clearTimeout(timeoutTimer);
  clearTimeout(killTimer);
  options.signal?.removeEventListener("abort", onAbort);
  const leftovers = await endGroup(pid, graceMs);
  liveGroups.delete(pid);
  // Pipes close once every holder is gone; bounded in case a process escaped the group.
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS)))]);
  clearTimeout(drainTimer);
  child.stdout.destroy();
  child.stderr.destroy();

  // Kept on the attempt and shown by tasks show, the dashboard and a public job summary: the
  // values of the variables the agent was given for its work (API keys) are masked there,
  // with GitHub-shaped tokens and URL credentials, whatever the agent printed. Masked before
  // the tail is cut to its limit, so that no secret is cut in two and half kept.
  const kept = lastBytes(maskSecrets(tail.text(), spec.env.map((name) => env[name])), limit);
  const cut = cutNote(tail.total(), limit);
  const output = cut === null ? kept : `${cut}\n${kept}`;
  const base = { exitCode, signal: exitSignal, timedOut: killedFor === "timeout", output };
  if (killedFor === "timeout") {
    return { ...base, outcome: "transient", error: `timed out after ${formatMs(spec.timeoutMs)}; process group killed` };
  }
  if (killedFor === "abort") return { ...base, outcome: "transient", error: "aborted (shutdown); process group killed" };
  const note = leftovers ? "; leftover processes in its group killed" : "";
  // Nothing failed, but work the agent left running in the background was cut off: said where its output is read.
  if (exitCode === 0) return { ...base, output: leftovers ? `${output}${output === "" || output.endsWith("\n") ? "" : "\n"}${LEFTOVERS_ENDED}` : output, outcome: "succeeded", error: null };
  if (exitCode === EX_TEMPFAIL) return { ...base, outcome: "transient", error: `exit code 75 (EX_TEMPFAIL)${note}` };
  if (exitCode === COMMAND_NOT_FOUND) return { ...base, outcome: "permanent", error: `command not found (exit 127): ${notFoundReason(program, options.cwd, env)}${note}` };
  // Any other exit is permanent: the hint says how an agent asks for a retry instead.
  if (exitCode !== null) return { ...base, outcome: "permanent", error: `exit code ${exitCode}${note} (exit 75 to be retried)` };
  // Killed from outside, not by switchyard: the kernel's OOM killer (SIGKILL) or someone
  // stopping it (SIGTERM) says nothing of the task, and a later try may well run. A crash
  // (SIGSEGV, SIGABRT…) would likely crash again.
  if (exitSignal === "SIGKILL" || exitSignal === "SIGTERM") {
    return { ...base, outcome: "transient", error: `killed by ${exitSignal} from outside switchyard (the out-of-memory killer, or someone stopping it)${note}` };
  }
  return { ...base, outcome: "permanent", error: `killed by ${exitSignal ?? "a signal"}${note}` };
}

/** The groups of the exec agents this process runs: what must not outlive it. */
const liveGroups = new Set<number>();
let exitHooked = false;

/**
 * However this process ends short of SIGKILL — process.exit in a forced shutdown, an
 * uncaught exception — its agents end with it: an orphaned deploy script running on while
 * a restarted switchyard runs the same task again is the worst outcome there is. (After a
 * SIGKILL, the restarted worker ends the orphan from the attempt's recorded group.) Node's
 * default SIGINT and SIGTERM exit skips "exit" handlers: serve and route listen for both
 * while agents run (src/cli/stop-signals.ts), so those reach here too.
 */
function killLiveGroupsOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on("exit", () => {
    for (const pgid of liveGroups) signalGroup(pgid, "SIGKILL");
  });
}

/**
 * The task document as JSON, or why it cannot be: a delivery body nested some thousands of
 * levels deep is accepted (JSON.parse has no depth limit) but overflows JSON.stringify.
 */
export function encodeTaskDocument(document: Record<string, unknown>): string | { error: string } {
  try {
    return JSON.stringify(document);
  } catch (error) {
    const reason = error instanceof RangeError ? "its payload nests too deep" : error instanceof Error ? error.message : String(error);
    return { error: `the task document cannot be encoded as JSON (${reason}): an external agent cannot be handed this delivery` };
  }
}

function failed(outcome: "transient" | "permanent", error: string, output: string): ExecResult {
  return { outcome, exitCode: null, signal: null, timedOut: false, output, error };
}

function spawnFailure(program: string, cwd: string | undefined, error: NodeJS.ErrnoException | null, env: Record<string, string>): ExecResult {
  const code = error?.code;
  if (code === "ENOENT") return failed("permanent", `cannot run ${program}: ${missingProgram(program, cwd, env)}`, "");
  if (code === "EACCES") {
    // A directory has its execute bit too: "is it executable?" would send someone to chmod it.
    const file = program.includes("/") ? path.resolve(cwd ?? process.cwd(), program) : null;
    if (file !== null && isDirectory(file)) return failed("permanent", `cannot run ${program}: ${file} is a directory, not a program: name the program inside it`, "");
    return failed("permanent", `cannot run ${program}: permission denied (is it executable?)`, "");
  }
  const outcome = code !== undefined && TRANSIENT_SPAWN_CODES.has(code) ? "transient" : "permanent";
  return failed(outcome, `cannot run ${program}: ${error?.message ?? "spawn failed"}`, "");
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Why spawn said ENOENT, which it says of several things: a working directory that does not
 * exist; for a path (with a slash), a file that does not exist, or a script whose `#!` line
 * names an interpreter that is not here; for a bare name, that no directory of the agent's
 * PATH (not switchyard's: the agent's is what spawn searched) holds it.
 */
function missingProgram(program: string, cwd: string | undefined, env: Record<string, string>): string {
  if (cwd !== undefined && !existsSync(cwd)) return `its working directory ${cwd} does not exist`;
  if (program.includes("/")) {
    const file = path.resolve(cwd ?? process.cwd(), program);
    return interpreterProblem(file, env) ?? `${file} does not exist`;
  }
  const empty = (env.PATH ?? "") === "" ? " (the agent's PATH is empty)" : "";
  return `not found on PATH${empty}: install it where switchyard runs, or write its path`;
}

/**
 * Why an agent exited 127: its `#!` line's `env NAME` when NAME is not on the agent's PATH
 * (env started, so spawn saw nothing wrong), else a command it ran.
 */
function notFoundReason(program: string, cwd: string | undefined, env: Record<string, string>): string {
  const script = program.includes("/") ? interpreterProblem(path.resolve(cwd ?? process.cwd(), program), env) : null;
  return script === null ? `${program}, or a command it ran, is not installed where switchyard runs (see the output)` : `${program}: ${script}`;
}

/** Said after a successful agent's output when processes it started were still running as it exited. */
export const LEFTOVERS_ENDED =
  "[processes the agent left running in its process group were ended when it exited (SIGTERM, SIGKILL 2 s later if still there): an agent's work must be done before it exits; start what must outlive it (a deployment, a notification) outside the agent, or wait for it]";

/**
 * After the leader exited: SIGTERM whatever remains of its group, SIGKILL after the grace
 * period, and wait until the group is empty (bounded). True when something was left.
 */
async function endGroup(pid: number, graceMs: number): Promise<boolean> {
  if (!signalGroup(pid, 0)) return false;
  await killGroup(pid, graceMs);
  return true;
}

/**
 * A bounded tail of the output: chunks are dropped from the front as new ones arrive, so a
 * chatty agent printing gigabytes costs at most the limit plus one pipe read (64 KiB).
 */
function createTail(limit: number): { push: (chunk: Buffer) => void; text: () => string; total: () => number } {
  const chunks: Buffer[] = [];
  let size = 0;
  let total = 0;
  return {
    total: () => total,
    push: (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      total += chunk.length;
      while (chunks.length > 1 && size - chunks[0]!.length >= limit) size -= chunks.shift()!.length;
    },
    text: () => lastBytes(Buffer.concat(chunks), limit),
  };
}

/** The last `limit` bytes of `text`, never starting inside a UTF-8 character. */
function lastBytes(text: string | Buffer, limit: number): string {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const tail = bytes.length > limit ? bytes.subarray(bytes.length - limit) : bytes;
  // The cut may land inside a UTF-8 character: drop its continuation bytes.
  let start = 0;
  while (start < tail.length && start < 3 && (tail[start]! & 0xc0) === 0x80) start++;
  return tail.subarray(start).toString("utf8");
}

function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
