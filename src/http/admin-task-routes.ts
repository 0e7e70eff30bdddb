import { statSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import type { LoadedConfig } from "../config/load-config.js";
import { queryProblem, sendError } from "./http-errors.js";
import { replayDelivery, replayTask, tasksOfMissingAgents } from "../queue/replay.js";
import { renderHelp } from "../agents/builtin/coordinator/command-help.js";
import { customCommands } from "../agents/task-commands.js";
import { TASK_STATUSES, type Store, type TaskStatus } from "../store/store.js";
import { parseApiLimit } from "../config/parse-limit.js";
import { taskCursorProblem } from "../store/event-filter.js";
import { loadTaskDetail, taskNotFound } from "../present/load-detail.js";
import { presentTask } from "../present/records.js";

export interface TaskRouteDeps {
  store: Store;
  /** The config the server runs with; `source` (its file) is named in delivery replays' answers. */
  loaded: Pick<LoadedConfig, "config" | "rules"> & { source?: string | null };
  /** Re-queued work is waiting: wake the worker. */
  wake: () => void;
  /** Whether this server's config has the agent (a replayed task of one it lacks waits for a switchyard that has it); default: every agent. */
  knowsAgent?: (agent: string) => boolean;
  /** switchyard's own GitHub logins: a replayed event it caused itself routes nowhere. */
  ownLogins?: () => readonly string[];
  now?: () => number;
}

/** A file's modification time, null when it cannot be read. */
function modifiedAt(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** The admin API's task views and replays: `GET /api/tasks`, the three replay endpoints. */
export function registerTaskRoutes(app: FastifyInstance, deps: TaskRouteDeps): void {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const knowsAgent = deps.knowsAgent ?? (() => true);
  // The server routes with the config it read at start: a replay's answer names that file,
  // and says when it was changed since (the edit is not in force until a restart).
  const configFile = deps.loaded.source ?? null;
  const configModified = configFile === null ? null : modifiedAt(configFile);

  // The `/agent help` text, for people and for tools (text/markdown).
  app.get("/agent-help", async (_request, reply) => {
    return reply.type("text/markdown; charset=utf-8").send(renderHelp(deps.loaded.config.commands, customCommands(deps.loaded.config)) + "\n");
  });

  app.get("/api/tasks", async (request, reply) => {
    const problem = queryProblem(request.query as Record<string, unknown>, ["limit", "status", "agent", "delivery", "before"]);
    if (problem) return sendError(reply, "SWY_E_BAD_REQUEST", problem);
    const query = request.query as Record<string, string | undefined>;
    const limit = parseApiLimit(query.limit);
    if (typeof limit === "string") return sendError(reply, "SWY_E_BAD_REQUEST", limit);
    const badCursor = query.before === undefined ? null : taskCursorProblem(query.before, "before");
    if (badCursor !== null) return sendError(reply, "SWY_E_BAD_REQUEST", badCursor);
    if (query.status !== undefined && !(TASK_STATUSES as readonly string[]).includes(query.status)) {
      return sendError(reply, "SWY_E_BAD_REQUEST", `status must be one of ${TASK_STATUSES.join(", ")}, not ${JSON.stringify(query.status)}`);
    }
    return (await store.listTasks({ limit, status: query.status as TaskStatus | undefined, agent: query.agent, delivery: query.delivery, before: query.before })).map(presentTask);
  });

  app.get("/api/tasks/:id", async (request, reply) => {
    const { id } = request.params as { id: string };
    const task = await loadTaskDetail(store, id);
    if (!task) return sendError(reply, "SWY_E_NOT_FOUND", taskNotFound(id));
    return task;
  });

  app.post("/api/deliveries/:id/replay", async (request, reply) => {
    const { id } = request.params as { id: string };
    // A delivery that can no longer be routed (its body pruned) throws a UsageError: a 400.
    const replay = await replayDelivery(store, deps.loaded, id, now(), deps.ownLogins?.());
    if (replay === null) return sendError(reply, "SWY_E_NOT_FOUND", `no delivery ${id}`);
    if (replay.tasks.length > 0) deps.wake();
    // An operator's re-run: said in the log, or its attempts read as the task's own.
    request.log.info({ delivery: id, tasks: replay.tasks.map((t) => ({ id: t.id, agent: t.agent, status: t.status })), ip: request.ip }, "delivery replayed through the admin API");
    return {
      delivery: id,
      tasks: replay.tasks,
      event: replay.event,
      action: replay.action,
      ignored: replay.ignored,
      config: configFile,
      config_changed: configFile !== null && modifiedAt(configFile) !== configModified,
    };
  });

  app.post("/api/tasks/:id/replay", async (request, reply) => {
    const { id } = request.params as { id: string };
    const replay = await replayTask(store, id, now());
    if (replay === null) return sendError(reply, "SWY_E_NOT_FOUND", taskNotFound(id));
    const { was, agent, delivery } = replay;
    deps.wake();
    const agentMissing = !knowsAgent(agent);
    request.log.info(
      { task: id, was, replayed: was !== "running", agent, ...(agentMissing ? { agentMissing } : {}), ip: request.ip },
      was === "running" ? "task replay asked through the admin API: it is running, left to its run" : `task replayed through the admin API (was ${was})`,
    );
    // `was`: its status before. A running task is left to its run: nothing was re-queued.
    // agent_missing: this server's config has no such agent, so the task waits for a switchyard that has it.
    return { task: id, replayed: was !== "running", was, agent, delivery, agent_missing: agentMissing };
  });

  app.post("/api/tasks/replay-dead", async (request) => {
    const replayed = await store.replayDead(now());
    if (replayed.length > 0) deps.wake();
    const agentsMissing = tasksOfMissingAgents(replayed, knowsAgent);
    request.log.info({ tasks: replayed.length, ...(agentsMissing.length > 0 ? { agentsMissing } : {}), ip: request.ip }, "dead tasks replayed through the admin API");
    return { tasks: replayed.map((t) => t.id), agents_missing: agentsMissing };
  });
}
