import type { Logger } from "pino";
import type { Agent } from "../agents/agent.js";
import { createRoutingCommentUpdater } from "../agents/builtin/routing-comment.js";
import { createExecutorTable } from "../agents/executor-table.js";
import type { Executor } from "../agents/executors/create-executor.js";
import { createRegistry, knowsAgentOf } from "../agents/registry.js";
import type { Config, ServerRole } from "../config/schema.js";
import { createGithubRuntime, type GithubRuntime } from "../github/github-runtime.js";
import { createWorker, type Worker, type WorkerObserver } from "../queue/worker.js";
import type { FailedAuthLimiter } from "../security/failed-auth-limiter.js";
import type { AcceptOptions, AcceptResult, Store } from "../store/store.js";
import type { IncidentReporter } from "../security/incidents/create-incident-reporter.js";
import { createAuthLimiter } from "./create-auth-limiter.js";
import { createIncidents } from "./create-incidents.js";
import type { RuntimeStore } from "./open-runtime-store.js";
import { ownSecrets } from "../security/own-secrets.js";

export interface RuntimeOptions {
  config: Config;
  logger: Logger;
  /** The environment exec agents take their allowlisted variables from. */
  env: Record<string, string | undefined>;
  /** serve: a worker when the role runs one. actions: always a worker, in Actions mode. */
  mode: "serve" | "actions";
  /**
   * The store, open and migrated; the runtime closes it. serve: `openRuntimeStore`.
   * actions: the in-memory store. Passed in rather than opened here, so that Actions mode
   * (and the bundled GitHub Action) never loads a database driver.
   */
  store: RuntimeStore;
  /** What this process runs (serve); default `server.role`. Actions mode is always "worker". */
  role?: ServerRole;
  /** Built-in agents beyond the default ones (tests pass theirs). */
  agents?: readonly Agent[];
  /** Tests: executors by agent name instead of the configured table. */
  executorFor?: (agent: string) => Executor;
  /** The worker's fallback poll, ms. */
  pollMs?: number;
  /** Told of every recorded attempt (serve's metrics). */
  observer?: WorkerObserver;
  /** The webhook secrets serve verifies with (one it generated too): masked in what agents leave, with the config's secrets. */
  webhookSecrets?: readonly string[];
}

export interface Runtime {
  readonly role: ServerRole;
  readonly store: Store;
  readonly github: GithubRuntime;
  readonly executorFor: (agent: string) => Executor;
  /** Whether this process can run the agent: configured under agents, or built in. */
  knowsAgent(agent: string): boolean;
  /** null when the role runs none (ingest). Created, not started: start it once nothing else can fail. */
  readonly worker: Worker | null;
  /** The webhook route's failed-auth limiter, shared across instances when the store counts failures. */
  readonly limiter: FailedAuthLimiter;
  /** Security incidents (`security.incidents`): told of every failed verification; null when off or without a webhook listener. */
  readonly incidents: IncidentReporter | null;
  /** The webhook route committed a delivery: the local worker runs what was handed over to it, on the payload the route parsed, and is woken for the rest. */
  onAccepted: (result: AcceptResult, payload: Record<string, unknown>) => void;
  /** For the webhook route's accepts: hands a new task straight to the local worker when it has room (`AcceptOptions.handOff`); undefined without a worker. */
  handOff: AcceptOptions["handOff"];
  /** Tasks were made due (a replay): the local worker looks now. */
  wake: () => void;
  /** Stops the worker; running tasks get `drainMs` (default 25 s) to finish. Idempotent. */
  drain: (drainMs?: number) => Promise<void>;
  /** Drains (when not yet done), then flushes and closes the store. Idempotent. */
  close: () => Promise<void>;
}

/**
 * Whether a process of this role runs tasks.
 *
 * @example runsWorker("ingest") // false
 */
export function runsWorker(role: ServerRole): boolean {
  return role !== "ingest";
}

/**
 * The one place switchyard is wired together: the store (opened by the caller), GitHub client,
 * executor table, worker and failed-auth limiter, for `serve`/`work` and for Actions mode
 * (`route`). What listens for HTTP is the caller's business; what runs tasks is here.
 * Closing stops the worker before the store, so no task outcome is lost.
 *
 * @example
 * const store = await openRuntimeStore(config, { cwd: process.cwd(), logger });
 * const runtime = await createRuntime({ config, logger, env: process.env, mode: "serve", role: "worker", store });
 * await runtime.worker?.start();
 * // … on SIGTERM:
 * await runtime.close();
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, logger, mode } = options;
  const role: ServerRole = mode === "actions" ? "worker" : (options.role ?? config.server.role);
  const opened = options.store;
  const { store } = opened;

  let github: GithubRuntime;
  let executorFor: (agent: string) => Executor;
  let knowsAgent: (agent: string) => boolean = () => true;
  let limiter: FailedAuthLimiter;
  // switchyard's own secrets: masked in what any agent leaves, and in what a workspace agent posts.
  const secrets = ownSecrets(config, options.env, options.webhookSecrets);
  try {
    github = createGithubRuntime(config, logger, { actions: mode === "actions" });
    if (mode === "actions") {
      // No event may reach an agent before switchyard knows its own comments by login.
      await github.resolveIdentity();
    } else {
      // Must not hold up start-up: a task waits for it instead (whenIdentityKnown), since only
      // comments by switchyard's own logins are edited.
      void github.resolveIdentity();
    }
    const registry = createRegistry(options.agents);
    executorFor = options.executorFor ?? createExecutorTable(config.agents, { registry, baseEnv: options.env, ownSecrets: secrets });
    // With executors given (tests), every agent is theirs to run.
    if (options.executorFor === undefined) {
      knowsAgent = knowsAgentOf(config.agents, registry);
    }
    limiter = createAuthLimiter(config, store, logger);
  } catch (error) {
    await opened.close();
    throw error;
  }

  const incidents = mode === "serve" && role !== "worker" ? createIncidents(config, store, github, logger) : null;
  const worker = runsWorker(role)
    ? createWorker({
        store,
        config,
        github,
        mode: mode === "actions" ? "actions" : "server",
        afterTask: createRoutingCommentUpdater(config.comments),
        logger,
        pollMs: options.pollMs,
        executorFor,
        knowsAgent: (agent) => knowsAgent(agent),
        observer: options.observer,
        secrets,
      })
    : null;

  let drained: Promise<void> | null = null;
  let closed: Promise<void> | null = null;
  const drain = (drainMs?: number) => (drained ??= worker ? worker.stop(drainMs) : Promise.resolve());

  return {
    role,
    store,
    github,
    executorFor,
    knowsAgent: (agent) => knowsAgent(agent),
    worker,
    limiter,
    incidents,
    onAccepted: (result, payload) => {
      if (!worker || result.duplicate || result.tasks.length === 0) return;
      let waiting = false;
      for (const task of result.tasks) {
        if (task.claimed !== undefined) worker.adopt(task.claimed, payload);
        else if (task.status === "ready") waiting = true;
      }
      if (waiting) worker.wake();
    },
    handOff: worker ? () => worker.offer() : undefined,
    wake: () => worker?.wake(),
    drain,
    close: () =>
      (closed ??= (async () => {
        try {
          await drain();
          await incidents?.close();
        } finally {
          await opened.close();
        }
      })()),
  };
}
