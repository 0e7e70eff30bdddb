import type { Command } from "commander";
import { checkGithubCredentials, loadConfig, type LoadedConfig } from "../config/load-config.js";
import { readLogLevel } from "../config/read-env.js";
import { UsageError } from "../errors.js";
import { authMode } from "../github/write-mode.js";
import { createLogger } from "../observability/logger.js";
import { beyondRetention, parseLookback } from "../recovery/parse-lookback.js";
import { createSweeper } from "../recovery/create-sweeper.js";
import { presentSweep, renderSweep, type SweepJson } from "../recovery/present-sweep.js";
import { terminalText } from "../present/terminal-text.js";
import { sweepExitCode, type SweepError } from "../recovery/sweep-error.js";
import { openMigratedStore, sqliteFile } from "../store/open-store.js";
import { existsSync } from "node:fs";
import { refusal, type AdminClient } from "./admin-client.js";
import { ExitCode, printJson, type CliIo } from "./io.js";
import { serverOf, unauthorized } from "./replay.js";

interface RedeliverOptions {
  since?: string;
  dryRun?: boolean;
  json?: boolean;
  config?: string;
}

/** How long the CLI waits for a sweep through the admin API: paced asks take a second each. */
const SWEEP_TIMEOUT_MS = 30 * 60_000;
/** `--since`: the bounds of recovery.lookback and the admin API's `?since=` (parseLookback). */
function lookbackOption(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = parseLookback(since);
  if (typeof ms === "string") throw new UsageError(`--${ms}`);
  return ms;
}

async function throughApi(api: AdminClient, loaded: LoadedConfig, lookbackMs: number | undefined, dryRun: boolean): Promise<SweepJson> {
  const query = new URLSearchParams();
  if (lookbackMs !== undefined) query.set("since", `${Math.round(lookbackMs / 1000)}s`);
  if (dryRun) query.set("dry_run", "1");
  const { status, body } = await api.request("POST", `/api/recovery/sweep?${query}`, { timeoutMs: SWEEP_TIMEOUT_MS });
  if (status === 401) throw unauthorized(api, loaded.config.admin.token);
  // The server sweeps with its own config: a refusal about it must say whose.
  if (status !== 200) throw refusal(api, status, body, "sweep (with the config it started with)");
  return body as SweepJson;
}

async function directly(loaded: LoadedConfig, io: CliIo, lookbackMs: number | undefined, dryRun: boolean): Promise<SweepJson> {
  const { config } = loaded;
  const file = sqliteFile(config.store.url, io.cwd);
  if (file && !existsSync(file)) throw new UsageError(`the database ${file} does not exist yet: switchyard serve creates it`);
  const store = await openMigratedStore(config.store.url, { cwd: io.cwd, migrates: false, exclusive: true, pool: { size: 2, statementTimeoutMs: config.store.statementTimeoutMs } });
  try {
    // The command prints each hook's error itself, one plain line each: the sweeper's own
    // warnings would say them twice. LOG_LEVEL=debug still shows everything.
    const level = readLogLevel(io.env);
    const sweeper = createSweeper({ config, store, logger: createLogger(level === "debug" || level === "trace" ? level : "error") });
    return presentSweep(await sweeper.sweep({ lookbackMs, dryRun }));
  } finally {
    await store.close();
  }
}

/**
 * `switchyard redeliver [--since 72h] [--dry-run] [--json]`: the missed-delivery sweep now,
 * through the admin API when a server runs, directly on the store otherwise. Exit 2 when a
 * hook cannot be read with the credentials at hand (the line says which permission), 1
 * when GitHub could not be reached or failed.
 */
export function registerRedeliver(program: Command, io: CliIo): void {
  program
    .command("redeliver")
    .description("ask GitHub to redeliver the deliveries of recovery.hooks that failed and the store lacks (the missed-delivery sweep, now)")
    .option("--since <duration>", "how far back to read the hooks' logs, with a unit: s, m, h or d (default recovery.lookback, 72h; at least 1m, at most 168h)")
    .option("--dry-run", "list what would be asked for; ask GitHub for nothing")
    .option("--json", "print the summary as one line of JSON")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: RedeliverOptions) => {
      const lookbackMs = lookbackOption(options.since);
      // A running server sweeps with its own credentials; without one, the check below asks for them.
      const loaded = loadConfig({ file: options.config, cwd: io.cwd, env: io.env, needsGitHub: false });
      if (loaded.config.recovery.hooks.length === 0) {
        throw new UsageError("recovery.hooks is empty: add the webhooks that point at this switchyard ({repository: owner/name, id: 123}, {organization: org, id: 456} or {app: true}); see docs/operations.md#missed-deliveries");
      }
      const beyond = lookbackMs === undefined ? null : beyondRetention(lookbackMs, loaded.config.store.retention.rows);
      if (beyond !== null) throw new UsageError(`--since ${beyond}`);
      const api = await serverOf(loaded, io);
      if (api === null) {
        if (authMode(loaded.config.github) === "none") {
          throw new UsageError("no GitHub credentials are set: the sweep reads the hooks' delivery logs with GITHUB_TOKEN (admin:repo_hook, or admin:org_hook for an organization hook) or the App's GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY; an Actions GITHUB_TOKEN cannot");
        }
        // This process calls GitHub: its credentials get the checks serve gives them, so an App
        // key that cannot sign is refused here, by name, not as a failure of the first token.
        checkGithubCredentials(loaded, io.env);
      }
      // Without a server on a SQLite database (the CLI holds its lock), GitHub would redeliver
      // to a listener that is not there, and each ask would count toward the delivery's 3:
      // the sweep only lists. On PostgreSQL other instances may be listening.
      const listOnly = api === null && options.dryRun !== true && sqliteFile(loaded.config.store.url, io.cwd) !== null;
      const summary = api ? await throughApi(api, loaded, lookbackMs, options.dryRun === true) : await directly(loaded, io, lookbackMs, options.dryRun === true || listOnly);
      const errors: SweepError[] = summary.hooks.flatMap((h) => h.errors as SweepError[]);
      const configDryRun = loaded.config.github.dryRun === true;
      const unasked = summary.hooks.reduce((sum, h) => sum + h.guids.length, 0);
      const noServer =
        listOnly && !configDryRun
          ? `no switchyard serve runs on this database, so the sweep only listed what it would ask for (${unasked} ${unasked === 1 ? "delivery" : "deliveries"}): GitHub would redeliver to a listener that is not there, and each ask counts toward the delivery's 3. Start serve, then run redeliver again (serve also sweeps by itself every recovery.interval)`
          : null;
      // Missing deliveries left unasked for want of a server fail the command as a sweep error does.
      const notAsked = noServer !== null && unasked > 0;
      // A sweep that failed is still reported whole; its line also carries what every failed --json line does.
      const messages = [...(errors.length > 0 && sweepExitCode(errors) !== 0 ? errors.map((e) => e.message) : []), ...(notAsked ? [noServer] : [])];
      const failed = messages.length > 0 ? { ok: false, error: messages.join("; ") } : {};
      if (options.json) printJson(io, { ...failed, ...summary });
      else io.stdout(terminalText(renderSweep(summary)));
      // github.dryRun (or SWITCHYARD_DRY_RUN) makes every sweep a listing: said, or "would redeliver" reads as a bug.
      if (summary.dry_run && options.dryRun !== true && configDryRun) io.stderr("switchyard: github.dryRun is on (the config, or SWITCHYARD_DRY_RUN): the sweep only listed what it would ask for; turn it off to redeliver\n");
      if (notAsked) io.stderr(`switchyard: ${noServer}\n`);
      // GitHub's messages, quoted.
      for (const error of errors) io.stderr(`switchyard: ${terminalText(error.message, { oneLine: true })}\n`);
      if (api) io.stderr(`switchyard: swept through the running server at ${api.baseUrl}, with the recovery.hooks and GitHub credentials of the config it started with\n`);
      const code = sweepExitCode(errors);
      if (code !== 0) throw new ExitCode(code);
      if (notAsked) throw new ExitCode(2);
    });
}
