import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { createFailedAuthLimiter } from "../security/failed-auth-limiter.js";
import { GITHUB_HOOK_RANGES } from "../security/github-hook-ranges.js";
import { createIpAllowlist } from "../security/ip-allowlist.js";
import { openMigratedStore, sqliteFile, unusableDatabase } from "../store/open-store.js";
import { acquireStoreLock, type StoreLock } from "../store/sqlite/lock-file.js";
import type { AcceptResult, Store } from "../store/store.js";
import { createPayloadCache } from "../queue/payload-cache.js";
import type { Agent } from "../agents/agent.js";
import { createExecutorTable } from "../agents/executor-table.js";
import type { Executor } from "../agents/executors/create-executor.js";
import { createRegistry } from "../agents/registry.js";
import { createWorker } from "../queue/worker.js";
import { createGithubRuntime } from "../github/github-runtime.js";
import { createRoutingCommentUpdater } from "../agents/builtin/routing-comment.js";
import { registerTaskRoutes } from "./admin-task-routes.js";
import { createAdminServer, type ServerState } from "./create-admin-server.js";
import { createWebhookServer } from "./create-webhook-server.js";

export interface StartServerOptions {
  loaded: LoadedConfig;
  secrets: readonly string[];
  logger: Logger;
  cwd: string;
  /** The environment exec agents take their allowlisted variables from. */
  env: Record<string, string | undefined>;
  /** Run the worker in this process (default true). */
  worker?: boolean;
  /** Built-in agents beyond the log agent (tests and later layers pass theirs). */
  agents?: readonly Agent[];
  /** Overrides for tests: executors by agent name, the worker's fallback poll. */
  executorFor?: (agent: string) => Executor;
  pollMs?: number;
  /** How long shutdown lets running tasks finish before aborting them (default 25 s). */
  drainMs?: number;
}

export interface RunningServer {
  webhookUrl: string;
  adminUrl: string;
  store: Store;
  state: ServerState;
  /** Graceful stop: refuse new work, finish in-flight requests, stop the worker, flush and close the store. */
  close: () => Promise<void>;
}


/** How long in-flight requests get to finish once a listener closes. */
const STALLED_REQUEST_GRACE_MS = 2000;

/**
 * Closes a listener, cutting what is still connected after a short grace: Node stops
 * enforcing the request timeout once close() began, so a client stalled mid-request would
 * hold it (and the shutdown) for ever. Such a request was never acknowledged.
 */
async function closeBounded(app: FastifyInstance): Promise<void> {
  const cut = setTimeout(() => app.server.closeAllConnections(), STALLED_REQUEST_GRACE_MS);
  await app.close().catch(() => undefined);
  clearTimeout(cut);
}

function listenError(error: unknown, what: string, port: number, variable: string, host: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") {
    return new UsageError(`${what} host ${host} is not an address of this machine: set ${what === "webhook" ? "server.host" : "admin.host"} to one it has (or 0.0.0.0 / 127.0.0.1)`);
  }
  if (code === "EADDRINUSE") return new UsageError(`${what} port ${port} is already in use: stop what holds it or set ${variable}`);
  if (code === "EACCES") return new UsageError(`${what} port ${port} needs privileges: choose a port above 1023 with ${variable}`);
  return error instanceof Error ? error : new Error(String(error));
}

function urlOf(app: FastifyInstance, fallbackHost: string): string {
  const address = app.server.address();
  if (address === null || typeof address === "string") return `http://${fallbackHost}`;
  const host = address.address === "0.0.0.0" || address.address === "::" ? "127.0.0.1" : address.address;
  return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}

/**
 * Starts `serve`: opens (and locks) the store, runs migrations, then listens on the
 * webhook and admin ports. Health turns green only when all of that is done.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, rules } = options.loaded;
  const { logger } = options;
  const state: ServerState = { webhookListening: false, adminListening: false, migrated: false, draining: false };

  const dbFile = sqliteFile(config.store.url, options.cwd);
  let lock: StoreLock | null = null;
  try {
    lock = dbFile ? acquireStoreLock(dbFile) : null;
  } catch (error) {
    throw unusableDatabase(dbFile!, error);
  }
  const releaseLock = () => lock?.release();
  let store: Store;
  try {
    store = await openMigratedStore(config.store.url, { cwd: options.cwd });
  } catch (error) {
    releaseLock();
    throw error;
  }
  state.migrated = true;

  const github = createGithubRuntime(config, logger);
  const payloads = createPayloadCache();
  // The identity lookup must not hold up start-up: until it answers, the marker still
  // recognises switchyard's own comments.
  void github.resolveIdentity();
  const worker =
    options.worker === false
      ? null
      : createWorker({
          store,
          config,
          github,
          exclusiveStore: dbFile !== null,
          payloads,
          afterTask: createRoutingCommentUpdater(config.comments),
          logger,
          pollMs: options.pollMs,
          executorFor: options.executorFor ?? createExecutorTable(config.agents, { registry: createRegistry(options.agents), baseEnv: options.env }),
        });
  const wake = () => worker?.wake();
  const onAccepted = (result: AcceptResult, payload: Record<string, unknown>) => {
    if (!worker || result.duplicate || result.tasks.length === 0) return;
    payloads.set(result.delivery, payload);
    worker.wake();
  };
  const limiter = createFailedAuthLimiter(config.security.failedAuth);
  const { ipAllowlist } = config.security;
  const allowlist = ipAllowlist.enabled
    ? createIpAllowlist(ipAllowlist.cidrs.length > 0 ? ipAllowlist.cidrs : GITHUB_HOOK_RANGES.cidrs)
    : null;

  // Everything that can fail runs before the worker starts (it starts after both listeners),
  // and a failure releases the store: a serve that cannot start must exit, not linger with
  // the database locked.
  let webhook: FastifyInstance;
  let admin: FastifyInstance;
  try {
    webhook = createWebhookServer({
      config,
      rules,
      store,
      secrets: options.secrets,
      limiter,
      allowlist,
      logger,
      onAccepted,
      ownLogins: github.ownLogins,
      isClosing: () => state.draining,
    });
    admin = createAdminServer({
      store,
      state,
      logger,
      token: config.admin.token,
      extend: (app) => registerTaskRoutes(app, { store, loaded: options.loaded, wake }),
    });
  } catch (error) {
    await store.close();
    releaseLock();
    throw error;
  }

  // The admin API stays up while the worker drains: /readyz says "draining", and replay and
  // the task views still answer. It closes last, before the store.
  const shutdown = async () => {
    state.draining = true;
    // The webhook listener closes while the worker drains; the admin API after it.
    await Promise.all([closeBounded(webhook), worker?.stop(options.drainMs)]);
    await closeBounded(admin);
    await store.close();
    releaseLock();
  };

  try {
    await webhook.listen({ port: config.server.port, host: config.server.host }).catch((e: unknown) => {
      throw listenError(e, "webhook", config.server.port, "PORT", config.server.host);
    });
    state.webhookListening = true;
    await admin.listen({ port: config.admin.port, host: config.admin.host }).catch((e: unknown) => {
      throw listenError(e, "admin", config.admin.port, "ADMIN_PORT", config.admin.host);
    });
    state.adminListening = true;
    // Last: a server that cannot listen has run no agent. Deliveries accepted in between
    // wait in the store; start() reclaims, then claims them.
    await worker?.start();
    // CLIs (replay) find the server of their database here, not by probing a port that
    // another project's server may hold.
    lock?.publishAdminUrl(urlOf(admin, config.admin.host));
  } catch (error) {
    await shutdown();
    throw error;
  }

  return {
    webhookUrl: urlOf(webhook, config.server.host) + config.server.path,
    adminUrl: urlOf(admin, config.admin.host),
    store,
    state,
    close: shutdown,
  };
}
