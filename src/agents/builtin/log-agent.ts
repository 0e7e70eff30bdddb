import type { Agent } from "../agent.js";

/**
 * Records that a task ran and what it was about, and does nothing else: the agent named
 * `log` (or `{builtin: log}`), for rules that only want a record, and for exercising routing,
 * retries and the store end to end without touching GitHub. Never a stand-in for an agent
 * that is not there (see createExecutor).
 */
export const logAgent: Agent = {
  name: "log",
  help: "Records the task in the log and on its attempt; changes nothing on GitHub.",
  handle: async ({ task, event, logger }) => {
    const subject = event.number !== null ? `${event.repository}#${event.number}` : (event.repository ?? "(no repository)");
    const note = `${task.agent} would "${task.action}" for ${event.type}${event.action ? `.${event.action}` : ""} on ${subject} (rule ${task.rule}); the log agent only records it`;
    logger.info({ task: task.id, agent: task.agent, rule: task.rule }, note);
    return { output: note };
  },
};
