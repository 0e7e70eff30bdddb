import type { Command } from "commander";
import { formatTable } from "../routing/describe-rules.js";
import { TASK_STATUSES, type TaskStatus } from "../store/store.js";
import { parseChoice, parseLimitOption, withReadOnlyStore } from "./deliveries.js";
import { printJson, type CliIo } from "./io.js";

/** The `tasks --json` shape of docs/cli.md. */
export function taskJson(t: { id: string; delivery: string; agent: string; action: string; priority: string; status: string; attempts: number; run_at: string; last_error: string | null }) {
  return { id: t.id, delivery: t.delivery, agent: t.agent, action: t.action, priority: t.priority, status: t.status, attempts: t.attempts, run_at: t.run_at, last_error: t.last_error };
}

export function registerTasks(program: Command, io: CliIo): void {
  program
    .command("tasks")
    .description("recent tasks, newest first (reads the store; never writes)")
    .option("--status <status>", `only tasks in this state: ${TASK_STATUSES.join(", ")}`)
    .option("--agent <name>", "only this agent's tasks")
    .option("--limit <n>", "how many (default 50, no upper cap)")
    .option("--json", "print one JSON array on one line")
    .option("-c, --config <file>", "config file (default: ./switchyard.config.yaml when present)")
    .action(async (options: { status?: string; agent?: string; limit?: string; json?: boolean; config?: string }) => {
      const status = parseChoice<TaskStatus>("--status", options.status, TASK_STATUSES);
      const limit = parseLimitOption(options.limit);
      const rows = await withReadOnlyStore(io, options.config, (store) => store.listTasks({ status, agent: options.agent, limit }));
      if (options.json) return printJson(io, rows.map(taskJson));
      if (rows.length === 0) return io.stdout("no tasks\n");
      io.stdout(
        formatTable(
          ["id", "delivery", "agent", "priority", "status", "attempts", "run_at", "last_error"],
          rows.map((t) => [t.id, t.delivery, t.agent, t.priority, t.status, String(t.attempts), t.run_at, t.last_error ?? ""]),
        ) + "\n",
      );
    });
}
