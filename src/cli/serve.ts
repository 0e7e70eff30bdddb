import { constants } from "node:os";
import path from "node:path";
import { Option, type Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { readLogLevel } from "../config/read-env.js";
import { redactUrl } from "../config/redact-url.js";
import { SERVER_ROLES, type Config, type ServerRole } from "../config/schema.js";
import { UsageError } from "../errors.js";
import { loadOrCreateWebhookSecret } from "../security/webhook-secret.js";
import type { CliIo } from "./io.js";

/** Where `serve` keeps what it generates (the webhook secret), beside the default database. */
export const STATE_DIR = ".switchyard";

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** What `serve` refuses to start with, beyond the schema: also checked by `check`. */
export function assertServable(config: Config, role: ServerRole = config.server.role): void {
  if (!isLoopback(config.admin.host) && !config.admin.token) {
    throw new UsageError(`admin.host is ${config.admin.host}, which is not loopback: set ADMIN_TOKEN so the admin API is not open to the network`);
  }
  // A worker opens no webhook listener, so its port cannot collide.
  if (role !== "worker" && config.server.port !== 0 && config.server.port === config.admin.port) {
    throw new UsageError(
      `server.port (PORT) and admin.port (ADMIN_PORT) are both ${config.server.port}: the webhook and admin listeners need a port each`,
    );
  }
}

/** The secrets to verify with: configured ones, else the bootstrapped one (never a default). */
export function resolveSecrets(config: Config, cwd: string, io: CliIo): { secrets: string[]; generated: string | null } {
  if (config.secrets.length > 0) return { secrets: [...config.secrets], generated: null };
  const { secret, file, created } = loadOrCreateWebhookSecret(path.resolve(cwd, STATE_DIR));
  if (created) {
    io.stderr(
      `switchyard: no WEBHOOK_SECRET configured, so a new one was generated and kept in ${path.relative(cwd, file) || file} (mode 0600):\n` +
        `\n    ${secret}\n\n` +
        `  Set it as the webhook's secret on GitHub (or WEBHOOK_SECRET here). Next step, in another terminal:\n` +
        `    node bin/switchyard.js send issues.opened\n\n`,
    );
  }
  return { secrets: [secret], generated: created ? secret : null };
}

const ROLE_SUMMARY: Record<ServerRole, string> = {
  all: "webhook listener, admin API and worker",
  ingest: "webhook listener and admin API, no worker",
  worker: "admin API and worker, no webhook listener",
};

export interface ServeOptions {
  config?: string;
  /** Overrides `server.role` (SWITCHYARD_ROLE). */
  role?: ServerRole;
}

/**
 * Signals this soon after the first are the same request: a terminal's Ctrl-C reaches npm
 * and switchyard together and npm forwards its copy; tmux and systemd send duplicates too.
 */
export const SAME_REQUEST_MS = 2000;

/**
 * What a SIGINT or SIGTERM asks for, given when the first one came (null: this is the
 * first): stop gracefully, nothing new (the same request again), or force the stop.
 *
 * @example
 * signalMeaning(null, 1000) // "stop"
 * signalMeaning(1000, 1400) // "same"
 * signalMeaning(1000, 4000) // "force"
 */
export function signalMeaning(firstAt: number | null, at: number): "stop" | "same" | "force" {
  if (firstAt === null) return "stop";
  return at - firstAt < SAME_REQUEST_MS ? "same" : "force";
}

/**
 * `serve` (and `work`, which is `serve --role worker`): starts the server and runs until
 * SIGTERM or SIGINT, then drains: running tasks get the drain time to finish, and a line
 * every few seconds says what still runs. A second signal within SAME_REQUEST_MS is the
 * same request; a later one forces the stop: every running `exec` agent's process group is
 * killed, the tasks are handed back uncounted, the store is closed (the lock released) and
 * the process exits with 128 + the signal's number.
 *
 * @example await runServe({ role: "worker" }, io);
 */
export async function runServe(options: ServeOptions, io: CliIo): Promise<void> {
  const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
  const { config } = loaded;
  const role = options.role ?? config.server.role;
  assertServable(config, role);
  // Loaded here, not at the top: the HTTP server, GitHub client and agents are what only
  // serve needs, and every other command would pay for loading them.
  const [{ startServer }, { createLogger }] = await Promise.all([import("../app/start-server.js"), import("../observability/logger.js")]);
  const logger = createLogger(readLogLevel(io.env));
  // A worker verifies no webhook: it needs no secret, and must not generate one.
  const secrets = role === "worker" ? [] : resolveSecrets(config, io.cwd, io).secrets;
  const server = await startServer({ loaded, secrets, logger, cwd: io.cwd, env: io.env, role });
  io.stderr(
    `switchyard: role ${role}: ${ROLE_SUMMARY[role]}\n` +
      (role === "ingest" && server.store.kind === "sqlite"
        ? "switchyard: role ingest on SQLite: no worker runs here and no other process may open this database, so tasks stay ready until a serve with role all or worker runs on it\n"
        : "") +
      (server.webhookUrl ? `switchyard: receiving webhooks at ${server.webhookUrl}\n` : "") +
      `switchyard: admin API at ${server.adminUrl} (/healthz, /api/deliveries)\n` +
      `switchyard: store ${redactUrl(config.store.url)}\n` +
      `switchyard: config ${loaded.source ?? "defaults (no switchyard.config.yaml)"}\n`,
  );
  await new Promise<void>((resolve) => {
    let firstAt: number | null = null;
    let forcing = false;
    const onSignal = (signal: NodeJS.Signals) => {
      const meaning = signalMeaning(firstAt, Date.now());
      if (meaning === "same") {
        io.stderr(`switchyard: ${signal} again within ${SAME_REQUEST_MS / 1000} s: the same request (npm and terminals send one twice); send it again later to force the stop\n`);
        return;
      }
      if (meaning === "force") {
        if (forcing) return;
        forcing = true;
        io.stderr(`switchyard: ${signal} again: forcing the stop: killing running agents and handing their tasks back\n`);
        const exit = () => {
          io.stderr("switchyard: stopped (forced)\n");
          process.exit(128 + (constants.signals[signal] ?? 0));
        };
        server.forceClose().then(exit, (error: unknown) => {
          logger.error({ err: error }, "error while forcing the stop");
          exit();
        });
        return;
      }
      firstAt = Date.now();
      io.stderr(`switchyard: ${signal}: finishing in-flight work, then stopping (${signal} again after ${SAME_REQUEST_MS / 1000} s forces it)\n`);
      const done = () => {
        // A forced stop ends the process itself.
        if (forcing) return;
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolve();
      };
      server.close().then(done, (error: unknown) => {
        logger.error({ err: error }, "error while stopping");
        done();
      });
    };
    // `on`, not `once`: with `once` a second signal would meet Node's default handler and
    // kill the process mid-drain, leaving the lock, the task running and its agent orphaned.
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  io.stderr("switchyard: stopped\n");
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("run the webhook listener, the admin listener and the worker (--role picks which)")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .addOption(
      new Option("--role <role>", "what this process runs: all, ingest (webhook + admin, no worker) or worker (admin + worker, no webhook listener); default server.role ($SWITCHYARD_ROLE), else all").choices(
        SERVER_ROLES,
      ),
    )
    .action(async (options: ServeOptions) => runServe(options, io));
}
