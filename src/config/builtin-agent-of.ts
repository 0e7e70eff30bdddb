import type { Config } from "./schema.js";

/**
 * The built-in agent an agent name runs as: itself when it is not configured or is
 * `builtin`, the one `{builtin: name}` names, or null when it runs a program, an endpoint,
 * a workflow or a workspace.
 *
 * @example builtinAgentOf("Triage", { Triage: { builtin: "IssueAgent" } }) // "IssueAgent"
 */
export function builtinAgentOf(agent: string, agents: Config["agents"]): string | null {
  const spec = agents[agent];
  if (spec === undefined || spec === "builtin") return agent;
  return "builtin" in spec ? spec.builtin : null;
}
