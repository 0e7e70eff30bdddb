import type { Command } from "commander";
import { formatTable } from "../routing/describe-rules.js";
import { TASK_STATUSES, type TaskStatus } from "../store/store.js";
import { parseChoice, parseLimitOption, withReadOnlyStore } from "./deliveries.js";
import { UsageError } from "../errors.js";
import { KNOWN_AGENT_NAMES } from "../config/check-names.js";
import { BUILTIN_AGENT_NAMES } from "../config/schema.js";
import { didYouMean } from "../config/suggest-name.js";
import { loadTaskDetail, taskNotFound } from "../present/load-detail.js";
import { isoTime, presentTaskRow } from "../present/records.js";
import { renderTaskDetail } from "../present/render-detail.js";
import { terminalText } from "../present/terminal-text.js";
import { taskCursorProblem } from "../store/event-filter.js";
import { printJson, type CliIo } from "./io.js";

/** How many of the newest tasks an unknown `--agent` name is compared with, besides the configured agents. */
const STORED_AGENTS_SAMPLE = 500;

export function registerTasks(program: Command, io: CliIo): void {
  const tasks = program
    .command("tasks")
    // `show ID --json` is the subcommand's flag, not the list's.
    .enablePositionalOptions()
    .description("recent tasks, newest first (reads the store; never writes)")
    .option("--status <status>", `only tasks in this state: ${TASK_STATUSES.join(", ")}`)
    .option("--agent <name>", "only this agent's tasks")
    .option("--delivery <id>", "only this delivery's tasks")
    .option("--limit <n>", "how many (default 50, no upper cap)")
    .option("--before <id>", "only tasks listed after this one (the next page: pass the last id shown)")
    .option("--json", "print one JSON array on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { status?: string; agent?: string; delivery?: string; limit?: string; before?: string; json?: boolean; config?: string }) => {
      const status = parseChoice<TaskStatus>("--status", options.status, TASK_STATUSES);
      const limit = parseLimitOption(options.limit);
      const badCursor = options.before === undefined ? null : taskCursorProblem(options.before, "--before");
      if (badCursor !== null) throw new UsageError(badCursor);
      const { rows, agents } = await withReadOnlyStore(io, options.config, async (store, config) => {
        const rows = await store.listTasks({ status, agent: options.agent, delivery: options.delivery, before: options.before, limit });
        // For a name that found nothing: the agents of the newest tasks count too (one the config no longer has).
        const stored = rows.length === 0 && options.agent !== undefined ? (await store.listTasks({ limit: STORED_AGENTS_SAMPLE })).map((t) => t.agent) : [];
        return { rows, agents: [...new Set([...KNOWN_AGENT_NAMES, ...BUILTIN_AGENT_NAMES, ...Object.keys(config.agents), ...stored])] };
      });
      if (options.json) return printJson(io, rows.map(presentTaskRow));
      if (rows.length === 0) {
        // An agent name with a typo finds nothing: say what it probably meant.
        const known = options.agent === undefined || agents.includes(options.agent);
        return io.stdout(known ? "no tasks\n" : `no tasks for agent ${options.agent}:${didYouMean(options.agent!, agents) || " no agent of that name is configured, nor has one of the newest tasks"}\n`);
      }
      io.stdout(
        formatTable(
          ["id", "delivery", "agent", "priority", "status", "attempts", "run_at", "last_error"],
          // Errors are agents' (and attackers') text: escaped, one line per task.
          rows.map((t) => [t.id, t.delivery, t.agent, t.priority, t.status, String(t.attempts), isoTime(t.runAt), t.lastError ?? ""].map((c) => terminalText(c, { oneLine: true }))),
        ) + "\n",
      );
    });

  tasks
    .command("show")
    .description("one task whole: every attempt with its error and output, and the GitHub writes made (or, in dry-run, that would have been made)")
    .argument("<id>", "the task id")
    .option("--json", "print one JSON object on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (id: string, options: { json?: boolean; config?: string }) => {
      const detail = await withReadOnlyStore(io, options.config, (store) => loadTaskDetail(store, id));
      if (!detail) throw new UsageError(`${taskNotFound(id)} (switchyard tasks lists the recent ones)`);
      if (options.json) return printJson(io, detail);
      io.stdout(renderTaskDetail(detail));
    });
}
