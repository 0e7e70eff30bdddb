import { existsSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig, type LoadedConfig } from "../config/load-config.js";
import { UsageError } from "../errors.js";
import { openMigratedStore, sqliteFile } from "../store/open-store.js";
import { createPruner } from "../store/retention/create-pruner.js";
import { presentPrune, renderPrune, type PruneJson } from "../store/retention/present-prune.js";
import type { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { createLogger } from "../observability/logger.js";
import { readLogLevel } from "../config/read-env.js";
import { refusal, type AdminClient } from "./admin-client.js";
import { printJson, type CliIo } from "./io.js";
import { serverOf, unauthorized } from "./replay.js";

interface PruneCliOptions {
  dryRun?: boolean;
  json?: boolean;
  vacuum?: boolean;
  config?: string;
}

const PRUNE_TIMEOUT_MS = 30 * 60_000;

async function throughApi(api: AdminClient, loaded: LoadedConfig, dryRun: boolean): Promise<PruneJson> {
  const { status, body } = await api.request("POST", `/api/prune${dryRun ? "?dry_run=1" : ""}`, { timeoutMs: PRUNE_TIMEOUT_MS });
  if (status === 401) throw unauthorized(api, loaded.config.admin.token);
  if (status !== 200) throw refusal(api, status, body, "prune");
  return body as PruneJson;
}

async function directly(loaded: LoadedConfig, io: CliIo, options: PruneCliOptions): Promise<PruneJson> {
  const { config } = loaded;
  const file = sqliteFile(config.store.url, io.cwd);
  if (file && !existsSync(file)) throw new UsageError(`the database ${file} does not exist yet: switchyard serve creates it`);
  // A dry run only reads: it works beside a running reader and takes no lock.
  const dry = options.dryRun === true;
  const store = await openMigratedStore(config.store.url, { cwd: io.cwd, readonly: dry, migrates: false, exclusive: !dry, pool: { size: 2, statementTimeoutMs: config.store.statementTimeoutMs } });
  try {
    const summary = presentPrune(await createPruner({ config, store, logger: createLogger(readLogLevel(io.env)) }).prune({ dryRun: dry }));
    if (options.vacuum && !dry) {
      // Rewrites the whole file once, turning incremental auto-vacuum on: from then on every
      // prune gives the space it frees back. Needs the file alone, and free disk for a copy.
      const { db } = store as SqliteStore;
      db.pragma("auto_vacuum = INCREMENTAL");
      db.exec("VACUUM");
      io.stderr(`switchyard: vacuumed ${file} (auto_vacuum=INCREMENTAL from now on)\n`);
    } else if (options.vacuum) {
      io.stderr(`switchyard: --dry-run: ${file} was not vacuumed (run without --dry-run, serve stopped, to rewrite it)\n`);
    }
    return summary;
  } finally {
    await store.close();
  }
}

/**
 * `switchyard prune [--dry-run] [--json] [--vacuum]`: applies store.retention now,
 * through the admin API when a server runs (it holds the store), directly otherwise.
 */
export function registerPrune(program: Command, io: CliIo): void {
  program
    .command("prune")
    .description("apply store.retention now: empty old delivery bodies, delete old deliveries with their tasks (serve does this hourly)")
    .option("--dry-run", "count what would be pruned; change nothing")
    .option("--json", "print the summary as one line of JSON")
    .option("--vacuum", "SQLite, with serve stopped: rewrite the file once so that space freed from now on goes back to the file system")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: PruneCliOptions) => {
      // Prunes the store, never calls GitHub: the credentials need not be set in this shell.
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env, needsGitHub: false });
      // Before looking for a server: on PostgreSQL the answer is the same with or without one.
      if (options.vacuum && sqliteFile(loaded.config.store.url, io.cwd) === null) {
        throw new UsageError("--vacuum is for SQLite: on PostgreSQL autovacuum reuses the space; to give it back to the file system run VACUUM FULL or pg_repack in a quiet hour (docs/operations.md#retention-and-disk)");
      }
      // A dry run goes where the real one would: a running server prunes with its own
      // store.retention, so only its count previews what `prune` then does.
      const api = await serverOf(loaded, io);
      if (api && options.vacuum) throw new UsageError(`--vacuum rewrites the whole database file: stop switchyard serve (${api.baseUrl}) first`);
      const summary = api ? await throughApi(api, loaded, options.dryRun === true) : await directly(loaded, io, options);
      if (options.json) printJson(io, summary);
      else io.stdout(renderPrune(summary));
      if (api) io.stderr(`switchyard: ${options.dryRun ? "counted (dry run)" : "pruned"} through the running server at ${api.baseUrl}, with the store.retention of the config it started with\n`);
    });
}
