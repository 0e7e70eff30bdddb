import { missingForReplay } from "../present/load-detail.js";
import { authMode } from "../github/write-mode.js";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig, type LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { readLogLevel } from "../config/read-env.js";
import { createGithubRuntime } from "../github/github-runtime.js";
import { createLogger } from "../observability/logger.js";
import { missingAgentNote, planReplay, replayTask, replayTaskNote, reroutedTasks, runReplay, tasksOfMissingAgents, whyNothingReplayed, type DeliveryReplay, type MissingAgentTasks, type ReplayPlan, type Rerouted } from "../queue/replay.js";
import { createRegistry, knowsAgentOf } from "../agents/registry.js";
import { terminalText } from "../present/terminal-text.js";
import { openMigratedStore, sqliteFile } from "../store/open-store.js";
import { canonicalPath, lockHolder } from "../store/sqlite/lock-file.js";
import type { Store, TaskStatus } from "../store/store.js";
import { findRunningServer, refusal, serverAt, type AdminClient } from "./admin-client.js";
import { printJson, type CliIo } from "./io.js";

interface ReplayOptions {
  task?: string[];
  dead?: boolean;
  json?: boolean;
  config?: string;
}

interface Replayed {
  delivery?: string;
  task: string;
  agent?: string;
}

/** A delivery whose replay re-queued nothing, and why. */
interface Unrouted {
  delivery: string;
  event: string;
  action: string | null;
  reason: string;
}

/** What a replay did: the tasks re-queued, the deliveries that routed nowhere, and notes for stderr. */
interface Outcome {
  replayed: Replayed[];
  unrouted: Unrouted[];
  /** Tasks that were running: left to that run, not re-queued. */
  running: string[];
  notes: string[];
}

/** The server's answer to `POST /api/deliveries/:id/replay`. */
type ApiDeliveryReplay = Partial<Omit<DeliveryReplay, "tasks">> & {
  tasks: { id: string; agent: string }[];
  config?: string | null;
  config_changed?: boolean;
};

type Request = { kind: "deliveries"; ids: string[] } | { kind: "tasks"; ids: string[] } | { kind: "dead" };

function parseRequest(deliveries: string[], options: ReplayOptions): Request {
  const modes = [deliveries.length > 0, (options.task?.length ?? 0) > 0, options.dead === true].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("say what to replay: DELIVERY_ID…, or --task ID…, or --dead (one of them)");
  if (options.dead) return { kind: "dead" };
  if (options.task?.length) return { kind: "tasks", ids: options.task };
  return { kind: "deliveries", ids: deliveries };
}

export function unauthorized(api: AdminClient, token: string | null | undefined): UsageError {
  return new UsageError(
    token
      ? `the server at ${api.baseUrl} rejected the admin token: set ADMIN_TOKEN to the token that server runs with`
      : `the server at ${api.baseUrl} wants its admin token: set ADMIN_TOKEN for this command too`,
  );
}

/**
 * Records a re-queued task, with the line a person should read about it (`was`: its status
 * before, when known). `missingAgent`: the note for a task whose agent the config lacks,
 * which says more than "due now" or "runs again": it does not run here at all.
 */
function replayedTask(outcome: Outcome, id: string, was: TaskStatus | null, missingAgent: string | null = null): void {
  if (was === "running") {
    // Said on stdout, where the re-queued tasks are listed.
    outcome.running.push(id);
    return;
  }
  outcome.replayed.push({ task: id });
  const note = missingAgent ?? (was === null ? null : replayTaskNote(id, was));
  if (note) outcome.notes.push(`switchyard: ${note}\n`);
}

/** A task of a replayed delivery: re-queued, or left to the run it was in. */
function requeued(outcome: Outcome, delivery: string, task: { id: string; agent: string; status?: TaskStatus }): void {
  if (task.status === "running") outcome.running.push(task.id);
  else outcome.replayed.push({ delivery, task: task.id, agent: task.agent });
}

async function throughApi(api: AdminClient, loaded: LoadedConfig, io: CliIo, request: Request): Promise<Outcome> {
  const token = loaded.config.admin.token;
  const outcome: Outcome = { replayed: [], unrouted: [], running: [], notes: [] };
  if (request.kind === "dead") {
    const { status, body } = await api.request("POST", "/api/tasks/replay-dead");
    if (status === 401) throw unauthorized(api, token);
    if (status !== 200) throw refusal(api, status, body, "replay the dead tasks");
    const answer = body as { tasks?: string[]; agents_missing?: MissingAgentTasks[] };
    outcome.replayed = (answer.tasks ?? []).map((task) => ({ task }));
    // A server older than this CLI does not say which agents it lacks.
    for (const missing of answer.agents_missing ?? []) outcome.notes.push(`switchyard: ${missingAgentNote(missing, "the running server's config")}\n`);
    return outcome;
  }
  const base = request.kind === "deliveries" ? "/api/deliveries/" : "/api/tasks/";
  const missing: string[] = [];
  for (const id of request.ids) {
    const { status } = await api.request("GET", base + encodeURIComponent(id));
    if (status === 401) throw unauthorized(api, token);
    if (status === 404) missing.push(id);
  }
  if (missing.length > 0) throw new UsageError(missingForReplay(request.kind, missing));
  let serverConfig: { file: string | null; changed: boolean } | null = null;
  const done: string[] = [];
  for (const id of request.ids) {
    const { status, body } = await api.request("POST", `${base}${encodeURIComponent(id)}/replay`);
    if (status === 401) throw unauthorized(api, token);
    if (status !== 200) {
      const refused = refusal(api, status, body, `replay ${id}`);
      // The ones before it were replayed: running the same command again would replay them twice.
      if (done.length > 0) refused.message += ` (replayed before it: ${done.join(", ")}; leave them out when you run it again)`;
      throw refused;
    }
    done.push(id);
    if (request.kind === "deliveries") {
      const answer = body as ApiDeliveryReplay;
      for (const t of answer.tasks) requeued(outcome, id, t);
      // A server older than this CLI does not name its config: nothing to compare then.
      if (answer.config !== undefined) serverConfig ??= { file: answer.config, changed: answer.config_changed === true };
      if (answer.tasks.length === 0 && answer.event !== undefined) {
        const rulesOf = answer.config ? `the running server's config (${answer.config})` : "the running server's built-in rules (it runs without a config file)";
        const replay = { event: answer.event, action: answer.action ?? null, ignored: answer.ignored ?? null };
        outcome.unrouted.push({ delivery: id, event: replay.event, action: replay.action, reason: whyNothingReplayed(replay, rulesOf) });
      }
    } else {
      // A server older than this CLI does not say what the task was, nor whether it has its agent.
      const answer = body as { was?: TaskStatus; agent?: string; delivery?: string; agent_missing?: boolean };
      const missingAgent =
        answer.agent_missing === true && answer.agent !== undefined
          ? missingAgentNote({ agent: answer.agent, tasks: [id] }, "the running server's config", answer.delivery === undefined ? [] : [answer.delivery])
          : null;
      replayedTask(outcome, id, answer.was ?? null, missingAgent);
    }
  }
  const note = serverConfig && serverConfigNote(api, serverConfig, loaded, io);
  if (note) outcome.notes.push(note);
  return outcome;
}


/**
 * The line that says a delivery replay through the server was routed with the server's
 * config, not the one this command read (its -c FILE, or ./switchyard.config.yaml), or with
 * the server's file as it was when the server started. Null when they are the same.
 */
function serverConfigNote(api: AdminClient, server: { file: string | null; changed: boolean }, loaded: LoadedConfig, io: CliIo): string | null {
  const mine = loaded.source;
  const shown = (file: string) => path.relative(io.cwd, file) || file;
  if (server.file === null && mine === null) return null;
  if (server.file !== null && mine !== null && canonicalPath(server.file) === canonicalPath(mine)) {
    if (!server.changed) return null;
    return `switchyard: the running server at ${api.baseUrl} routed this replay with ${shown(server.file)} as it was when the server started: the file changed since, and the change takes effect when the server restarts\n`;
  }
  const theirs = server.file === null ? "its built-in rules (it runs without a config file)" : `its own config, ${server.file}`;
  const ours = mine === null ? "the built-in rules this command found (no config file)" : shown(mine);
  const how = mine === null ? "" : `; to route with ${shown(mine)}, restart the server with it, or stop the server and replay again`;
  return `switchyard: the running server at ${api.baseUrl} routed this replay with ${theirs}, not ${ours}: a server routes replays with the config it started with${how}\n`;
}

async function onStore(store: Store, loaded: LoadedConfig, io: CliIo, request: Request): Promise<Outcome> {
  const now = Date.now();
  const outcome: Outcome = { replayed: [], unrouted: [], running: [], notes: [] };
  const knowsAgent = knowsAgentOf(loaded.config.agents, createRegistry());
  const configInUse = loaded.source ? `the config in use (${path.relative(io.cwd, loaded.source) || loaded.source})` : "the config in use (the built-in agents: no config file)";
  if (request.kind === "dead") {
    const replayed = await store.replayDead(now);
    outcome.replayed = replayed.map(({ id }) => ({ task: id }));
    for (const missing of tasksOfMissingAgents(replayed, knowsAgent)) outcome.notes.push(`switchyard: ${missingAgentNote(missing, configInUse)}\n`);
    return outcome;
  }
  const missing: string[] = [];
  for (const id of request.ids) {
    const found = request.kind === "deliveries" ? await store.getDelivery(id) : await store.getTask(id);
    if (!found) missing.push(id);
  }
  if (missing.length > 0) throw new UsageError(missingForReplay(request.kind, missing));
  const ownLogins = request.kind === "deliveries" ? await ownLoginsOf(loaded, io) : [];
  const rulesOf = loaded.source
    ? `the config in use (${path.relative(io.cwd, loaded.source) || loaded.source})`
    : "the built-in rules (no config file: pass -c FILE, or create switchyard.config.yaml here)";
  // Every delivery routed first, nothing written yet. With no config file at all, a task
  // routed to an agent the built-in config does not have means this command is not reading
  // the service's config (no -c): such a replay would hand the task to a built-in agent for
  // good, so it is refused whole. A config file, named or found, is the user's choice (an
  // agent renamed): the change is said, not refused.
  const plans = new Map<string, ReplayPlan>();
  if (request.kind === "deliveries") {
    for (const id of request.ids) {
      const plan = await planReplay(store, loaded, id, ownLogins);
      if (plan !== null) plans.set(id, plan);
    }
    const strays = loaded.source !== null ? [] : [...plans].flatMap(([delivery, plan]) => reroutedTasks(plan).filter((r) => !knowsAgent(r.from)).map((r) => ({ delivery, ...r })));
    if (strays.length > 0) throw strayReplay(strays, configInUse);
  }
  for (const id of request.ids) {
    if (request.kind === "deliveries") {
      const plan = plans.get(id);
      const replay = plan === undefined ? null : await runReplay(store, plan, now);
      if (replay === null) continue;
      for (const r of reroutedTasks(plan!)) {
        outcome.notes.push(`switchyard: task ${r.task} of delivery ${id} now runs as ${r.to}, not ${r.from}: rule ${r.rule} names ${r.to} in ${rulesOf} (each attempt keeps the agent that ran it)\n`);
      }
      for (const t of replay.tasks) requeued(outcome, id, t);
      if (replay.tasks.length === 0) outcome.unrouted.push({ delivery: id, event: replay.event, action: replay.action, reason: whyNothingReplayed(replay, rulesOf) });
    } else {
      const replay = await replayTask(store, id, now);
      const missingAgent = replay !== null && !knowsAgent(replay.agent) ? missingAgentNote({ agent: replay.agent, tasks: [id] }, configInUse, [replay.delivery]) : null;
      replayedTask(outcome, id, replay?.was ?? null, missingAgent);
    }
  }
  return outcome;
}

/**
 * The refusal of a replay that would move tasks away from agents the config in use does not
 * have: most likely this command read another config than the one that routed them (no `-c`
 * where the service has its own file), and the tasks would run as other agents for good.
 */
function strayReplay(strays: readonly (Rerouted & { delivery: string })[], configInUse: string): UsageError {
  const [first] = strays;
  const which = strays.map((s) => `task ${s.task} of delivery ${s.delivery} (rule ${s.rule}) was routed to ${s.from}, and would now go to ${s.to}`).join("; ");
  return new UsageError(
    `nothing was replayed: ${which} — ${strays.length === 1 ? "that agent is" : "those agents are"} not in ${configInUse}. ` +
      `Pass -c with the config that routed ${strays.length === 1 ? "it" : "them"} (or replay through the server that runs it), or replay the task itself to run it as it was (switchyard replay --task ${first!.task})`,
  );
}

/**
 * switchyard's own GitHub logins, as `serve` learns them (GET /user or GET /app), so a
 * replayed event that switchyard caused itself routes nowhere; just the Actions identity
 * without credentials or when GitHub cannot be asked (then warned about).
 */
async function ownLoginsOf(loaded: LoadedConfig, io: CliIo): Promise<readonly string[]> {
  // One plain line when the lookup fails, not the runtime's log line (LOG_LEVEL=debug shows that too).
  const level = readLogLevel(io.env);
  const github = createGithubRuntime(loaded.config, createLogger(level === "debug" || level === "trace" ? level : "error"));
  await github.resolveIdentity();
  const logins = github.ownLogins();
  if (logins.length === 0 && authMode(loaded.config.github) !== "none") {
    io.stderr("switchyard: could not look up switchyard's own GitHub login (LOG_LEVEL=debug says why): an event switchyard caused itself is replayed as anyone's would be\n");
  }
  return logins;
}

async function directly(loaded: LoadedConfig, io: CliIo, request: Request): Promise<Outcome> {
  const url = loaded.config.store.url;
  const file = sqliteFile(url, io.cwd);
  if (file && !existsSync(file)) throw new UsageError(`the database ${file} does not exist yet: switchyard serve creates it`);
  const store = await openMigratedStore(url, { cwd: io.cwd, migrates: false, exclusive: true });
  try {
    return await onStore(store, loaded, io, request);
  } finally {
    await store.close();
  }
}

/**
 * The running server of the configured database, if any: used only when its /healthz names
 * this very store (X-Switchyard-Store), so a server of another project is never sent a
 * replay or the token. For SQLite the lock file says where the holder's admin API is (a
 * server there that serves another file is passed over, and the lock, held by a live
 * process, then refuses the direct write); otherwise the configured admin port is probed.
 */
export async function serverOf(loaded: LoadedConfig, io: CliIo): Promise<AdminClient | null> {
  const { config } = loaded;
  const lookup = { config, cwd: io.cwd, warn: io.stderr };
  const file = sqliteFile(config.store.url, io.cwd);
  if (file === null) return findRunningServer(lookup);
  const holder = lockHolder(file);
  if (holder === null) return null;
  if (holder.adminUrl === null) {
    const who = holder.pid > 0 ? `pid ${holder.pid}` : "another process";
    throw new UsageError(`${who} holds ${file} (a switchyard serve still starting, or another switchyard command): retry in a moment`);
  }
  // Silent, yet holding the file: a server shutting down. The request then says to retry.
  return serverAt(holder.adminUrl, lookup, { pid: holder.pid, file });
}

export function registerReplay(program: Command, io: CliIo): void {
  program
    .command("replay")
    .argument("[deliveries...]", "delivery ids to route again and re-run")
    .description("re-run deliveries or tasks: through the admin API when a server runs, else directly on the store")
    .option("--task <ids...>", "re-queue these tasks (same rows; attempts keep counting, retries start over)")
    .option("--dead", "re-queue every dead task")
    .option("--json", "print what was replayed as one line of JSON")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (deliveries: string[], options: ReplayOptions) => {
      const request = parseRequest(deliveries, options);
      // Re-queues in the store (or asks the server): the tasks run, and call GitHub, in serve.
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env, needsGitHub: false });
      const api = await serverOf(loaded, io);
      const { replayed, unrouted, running, notes } = api ? await throughApi(api, loaded, io, request) : await directly(loaded, io, request);
      const via = api ? "api" : "store";
      for (const note of notes) io.stderr(note);
      // `unrouted` and `running` only when there are some: the shape scripts compare otherwise stays as it was.
      if (options.json) return printJson(io, { via, replayed, ...(unrouted.length > 0 ? { unrouted } : {}), ...(running.length > 0 ? { running } : {}) });
      // Delivery ids are what the X-GitHub-Delivery header said.
      for (const u of unrouted) io.stdout(`${terminalText(`nothing to replay for delivery ${u.delivery}: ${u.reason}`, { oneLine: true })}\n`);
      for (const id of running) io.stdout(`${replayTaskNote(id, "running")}\n`);
      if (replayed.length === 0) {
        if (unrouted.length === 0 && running.length === 0) io.stdout("nothing to replay\n");
        return;
      }
      for (const r of replayed) io.stdout(`${terminalText(`re-queued task ${r.task}${r.agent ? ` (${r.agent})` : ""}${r.delivery ? ` of delivery ${r.delivery}` : ""}`, { oneLine: true })}\n`);
      const shared = sqliteFile(loaded.config.store.url, io.cwd) === null;
      io.stderr(
        api
          ? `switchyard: replayed through the running server at ${api.baseUrl}\n`
          : shared
            ? "switchyard: re-queued in the store; the workers on this database are told at once (LISTEN/NOTIFY)\n"
            : "switchyard: no server running: re-queued in the store; the tasks run when switchyard serve next starts\n",
      );
    });
}
