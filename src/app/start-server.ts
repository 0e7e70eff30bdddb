import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Agent } from "../agents/agent.js";
import type { Executor } from "../agents/executors/create-executor.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { ServerRole } from "../config/schema.js";
import { registerTaskRoutes } from "../http/admin-task-routes.js";
import { registerMetricsRoutes } from "../http/admin-metrics-routes.js";
import { registerRecoveryRoutes } from "../http/admin-recovery-routes.js";
import { createSweeper } from "../recovery/create-sweeper.js";
import { createPruner } from "../store/retention/create-pruner.js";
import { createMetrics } from "../observability/create-metrics.js";
import { createWebhookObserver } from "../observability/create-webhook-observer.js";
import { createAdminServer, type ServerState } from "../http/create-admin-server.js";
import { createWebhookServer } from "../http/create-webhook-server.js";
import { GITHUB_HOOK_RANGES } from "../security/github-hook-ranges.js";
import { createIpAllowlist } from "../security/ip-allowlist.js";
import type { Store } from "../store/store.js";
import { createRuntime } from "./create-runtime.js";
import { openRuntimeStore } from "./open-runtime-store.js";
import { closeBounded, listenOn, urlOf } from "./listeners.js";
import { storeId } from "../store/store-id.js";
import { waitAtMost } from "../wait-at-most.js";

export interface StartServerOptions {
  loaded: LoadedConfig;
  secrets: readonly string[];
  logger: Logger;
  cwd: string;
  /** The environment exec agents take their allowlisted variables from. */
  env: Record<string, string | undefined>;
  /** all, ingest (no worker) or worker (no webhook listener); default `server.role`. */
  role?: ServerRole;
  /** Built-in agents beyond the default ones (tests and later layers pass theirs). */
  agents?: readonly Agent[];
  /** Overrides for tests: executors by agent name, the worker's fallback poll. */
  executorFor?: (agent: string) => Executor;
  pollMs?: number;
  /** How long shutdown lets running tasks finish before aborting them (default 25 s). */
  drainMs?: number;
}

export interface RunningServer {
  role: ServerRole;
  /** The migrations this start applied to the store, in order (empty when it was current). */
  migrated: readonly string[];
  /** null when the role runs no webhook listener (worker). */
  webhookUrl: string | null;
  adminUrl: string;
  store: Store;
  state: ServerState;
  /** Graceful stop: refuse new work, finish in-flight requests, stop the worker, flush and close the store. Idempotent. */
  close: () => Promise<void>;
  /**
   * Forced stop, also in the middle of `close`: every running agent's process group is
   * killed at once, its task handed back uncounted, and the store closed (SQLite's lock
   * released) without waiting for the drain; bounded by `withinMs` (default 5 s). The
   * listeners are left to the process's exit, which the caller makes right after.
   */
  forceClose: (withinMs?: number) => Promise<void>;
}

/**
 * Starts `serve` (and `work`): builds the runtime (store opened, locked and migrated; the
 * worker when the role runs one), then listens — the webhook port unless the role is
 * worker, and the admin port — and starts the worker last. Health turns green only when all
 * of that is done.
 *
 * @example
 * const server = await startServer({ loaded, secrets, logger, cwd: process.cwd(), env: process.env, role: "ingest" });
 * process.on("SIGTERM", () => void server.close());
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { config, rules } = options.loaded;
  const { logger } = options;
  const opened = await openRuntimeStore(config, { cwd: options.cwd, logger });
  // This runtime's own registry: servers started side by side (tests) keep their counts apart.
  const metrics = createMetrics({ webhooks: (options.role ?? config.server.role) !== "worker" });
  const runtime = await createRuntime({
    config,
    logger,
    env: options.env,
    mode: "serve",
    role: options.role,
    store: opened,
    agents: options.agents,
    executorFor: options.executorFor,
    pollMs: options.pollMs,
    observer: metrics.worker,
    webhookSecrets: options.secrets,
  });
  const { store, role, worker } = runtime;
  const sweeper = createSweeper({ config, store, logger, observe: metrics.redeliveries });
  const pruner = createPruner({ config, store, logger });
  const state: ServerState = { role, webhookListening: false, adminListening: false, migrated: true, draining: false };
  const { ipAllowlist } = config.security;
  const allowlist = ipAllowlist.enabled ? createIpAllowlist(ipAllowlist.cidrs.length > 0 ? ipAllowlist.cidrs : GITHUB_HOOK_RANGES.cidrs) : null;

  // Everything that can fail runs before the worker starts (it starts after the listeners),
  // and a failure releases the store: a serve that cannot start must exit, not linger with
  // the database locked.
  let webhook: FastifyInstance | null;
  let admin: FastifyInstance;
  try {
    webhook =
      role === "worker"
        ? null
        : createWebhookServer({
            config,
            rules,
            store,
            secrets: options.secrets,
            limiter: runtime.limiter,
            allowlist,
            logger,
            onAccepted: (result, payload) => {
              runtime.onAccepted(result, payload);
              if (!result.duplicate) sweeper.arrived(result.delivery);
            },
            handOff: runtime.handOff,
            ownLogins: runtime.github.ownLogins,
            isClosing: () => state.draining,
            observe: createWebhookObserver(metrics, store),
            onVerificationFailure: runtime.incidents?.record,
          });
    // The admin listener reads through its own view: on SQLite, its reads never hold the thread that acknowledges webhooks.
    const adminStore = store.adminView?.() ?? store;
    admin = createAdminServer({
      store: adminStore,
      probeStore: store,
      state,
      logger,
      token: config.admin.token,
      failedAuth: config.security.failedAuth,
      storeId: storeId(config.store.url, options.cwd),
      extend: (app) => {
        registerTaskRoutes(app, { store: adminStore, loaded: options.loaded, wake: runtime.wake, knowsAgent: runtime.knowsAgent, ownLogins: runtime.github.ownLogins });
        registerMetricsRoutes(app, { store: adminStore, servingStore: store, metrics });
        registerRecoveryRoutes(app, { sweeper, pruner });
      },
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }

  // The admin API stays up while the worker drains: /readyz says "draining", and replay and
  // the task views still answer. It closes last, before the store.
  let closing: Promise<void> | null = null;
  const shutdown = () =>
    (closing ??= (async () => {
      state.draining = true;
      // The webhook listener takes no new connection from here on: /healthz says so.
      if (webhook) state.webhookListening = false;
      await Promise.all([webhook && closeBounded(webhook), runtime.drain(options.drainMs)]);
      await Promise.all([sweeper.stop(), pruner.stop()]);
      await closeBounded(admin);
      await runtime.close();
    })());

  let forced: Promise<void> | null = null;
  const forceClose = (withinMs = 5000) =>
    (forced ??= (async () => {
      state.draining = true;
      if (webhook) state.webhookListening = false;
      const started = Date.now();
      // A forced stop must end even when the store hangs.
      await waitAtMost(worker?.kill(withinMs) ?? Promise.resolve(), withinMs + 1000);
      // The store closes under the graceful path still under way: what it writes later fails, and the process exits.
      await waitAtMost(opened.close(), Math.max(1000, withinMs - (Date.now() - started)));
    })());

  try {
    if (webhook) {
      await listenOn(webhook, { what: "webhook", port: config.server.port, host: config.server.host, variable: "PORT", hostKey: "server.host" });
      state.webhookListening = true;
    }
    await listenOn(admin, { what: "admin", port: config.admin.port, host: config.admin.host, variable: "ADMIN_PORT", hostKey: "admin.host" });
    state.adminListening = true;
    // Last: a server that cannot listen has run no agent. Deliveries accepted in between
    // wait in the store; start() reclaims, then claims them.
    await worker?.start();
    // The missed-delivery sweep (recovery.interval) and retention (hourly) run in the background.
    sweeper.start();
    pruner.start();
    // CLIs (replay) find the server of their database here, not by probing a port that
    // another project's server may hold.
    store.announce(urlOf(admin, config.admin.host));
  } catch (error) {
    await shutdown();
    throw error;
  }

  return {
    role,
    migrated: opened.migrated,
    webhookUrl: webhook ? urlOf(webhook, config.server.host) + config.server.path : null,
    adminUrl: urlOf(admin, config.admin.host),
    store,
    state,
    close: shutdown,
    forceClose,
  };
}

