import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import { readLogLevel } from "../config/read-env.js";
import type { Config } from "../config/schema.js";
import { UsageError } from "../errors.js";
import { POSTGRES_NOT_BUILT, parseStoreUrl } from "../store/open-store.js";
import { loadOrCreateWebhookSecret } from "../security/webhook-secret.js";
import type { CliIo } from "./io.js";

/** Where `serve` keeps what it generates (the webhook secret), beside the default database. */
export const STATE_DIR = ".switchyard";

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** What `serve` refuses to start with, beyond the schema: also checked by `check`. */
export function assertServable(config: Config): void {
  if (!isLoopback(config.admin.host) && !config.admin.token) {
    throw new UsageError(`admin.host is ${config.admin.host}, which is not loopback: set ADMIN_TOKEN so the admin API is not open to the network`);
  }
  if (config.server.port !== 0 && config.server.port === config.admin.port) {
    throw new UsageError(
      `server.port (PORT) and admin.port (ADMIN_PORT) are both ${config.server.port}: the webhook and admin listeners need a port each`,
    );
  }
  if (parseStoreUrl(config.store.url).kind === "postgres") throw new UsageError(POSTGRES_NOT_BUILT);
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

export function registerServe(program: Command, io: CliIo): void {
  program
    .command("serve")
    .description("run the webhook listener, the admin listener and the worker")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { config?: string }) => {
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env });
      const { config } = loaded;
      assertServable(config);
      // Loaded here, not at the top: the HTTP server, GitHub client and agents are what only
      // serve needs, and every other command would pay for loading them.
      const [{ startServer }, { createLogger }] = await Promise.all([import("../http/start-server.js"), import("../observability/logger.js")]);
      const logger = createLogger(readLogLevel(io.env));
      const { secrets } = resolveSecrets(config, io.cwd, io);
      const server = await startServer({ loaded, secrets, logger, cwd: io.cwd, env: io.env });
      io.stderr(
        `switchyard: receiving webhooks at ${server.webhookUrl}\n` +
          `switchyard: admin API at ${server.adminUrl} (/healthz, /api/deliveries)\n` +
          `switchyard: store ${config.store.url}\n`,
      );
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) return;
          stopping = true;
          io.stderr(`switchyard: ${signal}: finishing in-flight work, then stopping\n`);
          server.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, "error while stopping");
            resolve();
          });
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
      io.stderr("switchyard: stopped\n");
    });
}
