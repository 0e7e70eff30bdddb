import type { Command } from "commander";
import { loadConfig } from "../config/load-config.js";
import type { Config } from "../config/schema.js";
import { UsageError } from "../errors.js";
import { parseLimit } from "../config/parse-limit.js";
import { repositoryNameProblem } from "../config/check-names.js";
import { formatTable } from "../routing/describe-rules.js";
import { cursorProblem, eventFilterProblem, subjectFilter } from "../store/event-filter.js";
import { openMigratedStore } from "../store/open-store.js";
import { DELIVERY_STATUSES, type DeliveryStatus, type Store } from "../store/store.js";
import { describeMissingDelivery, loadDeliveryDetail } from "../present/load-detail.js";
import { isoTime, presentDeliverySummary, stringifyDelivery } from "../present/records.js";
import { renderDeliveryDetail } from "../present/render-detail.js";
import { terminalText } from "../present/terminal-text.js";
import { printJson, type CliIo } from "./io.js";

/** `--limit N`: see parseLimit; a bad value is a usage error. */
export function parseLimitOption(value: string | undefined): number {
  const limit = parseLimit(value);
  if (typeof limit === "string") throw new UsageError(`--${limit}`);
  return limit;
}

export function parseChoice<T extends string>(flag: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${choices.join(", ")}, not "${value}"`);
  return value as T;
}

/**
 * Opens the configured store read-only for a reading command: never creates or migrates
 * it, and a missing database is a usage error (exit 2).
 */
export async function withReadOnlyStore<T>(io: CliIo, configFile: string | undefined, use: (store: Store, config: Config) => Promise<T>): Promise<T> {
  // Reads the store only: GitHub credentials, often only in the service's environment, need not be set.
  const { config } = loadConfig({ file: configFile, cwd: io.cwd, env: io.env, needsGitHub: false });
  // Read-only: checks the schema is switchyard's and current, never migrates.
  const store = await openMigratedStore(config.store.url, { readonly: true, cwd: io.cwd });
  try {
    return await use(store, config);
  } finally {
    await store.close();
  }
}

export function registerDeliveries(program: Command, io: CliIo): void {
  const deliveries = program
    .command("deliveries")
    // `show ID --json` is the subcommand's flag, not the list's.
    .enablePositionalOptions()
    .description("recent deliveries, newest first, with their tasks (reads the store; never writes)")
    .option("--status <status>", `only deliveries in this state: ${DELIVERY_STATUSES.join(", ")}`)
    .option("--event <name>", "only deliveries of this event (issues, pull_request, push, …)")
    .option("--repository <owner/name>", "only deliveries from this repository")
    .option("--number <n>", "only deliveries about this issue or pull request of --repository")
    .option("--limit <n>", "how many (default 50, no upper cap)")
    .option("--before <id>", "only deliveries listed after this one (the next page: pass the last id shown)")
    .option("--json", "print one JSON array on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { status?: string; event?: string; repository?: string; number?: string; limit?: string; before?: string; json?: boolean; config?: string }) => {
      const status = parseChoice<DeliveryStatus>("--status", options.status, DELIVERY_STATUSES);
      const limit = parseLimitOption(options.limit);
      const badRepository = options.repository === undefined ? null : repositoryNameProblem(options.repository);
      if (badRepository !== null) throw new UsageError(`--${badRepository}`);
      const subject = options.number === undefined ? undefined : subjectFilter(options.number, options.repository, "--number");
      if (typeof subject === "string") throw new UsageError(subject);
      const rows = await withReadOnlyStore(io, options.config, async (store) => {
        // A mistyped event would list nothing, as if none had come: refused with the nearest name.
        const badEvent = options.event === undefined ? null : await eventFilterProblem(store, options.event);
        if (badEvent !== null) throw new UsageError(badEvent);
        const badCursor = options.before === undefined ? null : await cursorProblem(store, options.before, "--before");
        if (badCursor !== null) throw new UsageError(badCursor);
        return store.listDeliveries({ status, event: options.event, repository: options.repository, subject, before: options.before, limit });
      });
      if (options.json) return printJson(io, rows.map(presentDeliverySummary));
      if (rows.length === 0) return io.stdout("no deliveries\n");
      io.stdout(
        formatTable(
          ["received", "delivery", "event", "repository", "status", "tasks"],
          rows.map((d) => [
            isoTime(d.receivedAt),
            d.id,
            d.action ? `${d.event}.${d.action}` : d.event,
            d.repository ?? "-",
            d.status,
            d.tasks.map((t) => `${t.agent}:${t.status}${t.attempts > 1 ? `(${t.attempts} attempts)` : ""}`).join(" ") || "-",
            // Ids, events and repositories come from the delivery: escaped, one line each.
          ].map((c) => terminalText(c, { oneLine: true }))),
        ) + "\n",
      );
    });

  deliveries
    .command("show")
    .description("one delivery whole: headers, decision, every task and attempt, and the GitHub writes made (or, in dry-run, that would have been made)")
    .argument("<id>", "the delivery id (X-GitHub-Delivery)")
    .option("--json", "print one JSON object on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (id: string, options: { json?: boolean; config?: string }) => {
      const { detail, missing } = await withReadOnlyStore(io, options.config, async (store) => {
        const found = await loadDeliveryDetail(store, id);
        return { detail: found, missing: found ? null : await describeMissingDelivery(store, id) };
      });
      if (!detail) throw new UsageError(`${missing}; switchyard deliveries lists the recent ones`);
      // Not printJson: the payload is spliced in as stored, never re-encoded (see stringifyDelivery).
      if (options.json) return io.stdout(`${stringifyDelivery(detail)}\n`);
      io.stdout(renderDeliveryDetail(detail));
    });
}
