import type { Agent } from "../agent.js";

/**
 * Records that a task ran and what it was about, and does nothing else: the stand-in for
 * every built-in agent that has not been written yet, so routing, retries and the store
 * can be exercised end to end without touching GitHub.
 */
export const logAgent: Agent = {
  name: "log",
  help: "Records the task in the log and on its attempt; changes nothing on GitHub.",
  handle: async ({ task, event, logger }) => {
    const subject = event.number !== null ? `${event.repository}#${event.number}` : (event.repository ?? "(no repository)");
    const note = `${task.agent} would "${task.action}" for ${event.type}${event.action ? `.${event.action}` : ""} on ${subject} (rule ${task.rule}); built-in agent not installed yet, so only logged`;
    logger.info({ task: task.id, agent: task.agent, rule: task.rule }, note);
    return { output: note };
  },
};
