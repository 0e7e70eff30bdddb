import type { Agent } from "./agent.js";
import { builtinAgentOf } from "../config/builtin-agent-of.js";
import type { Config } from "../config/schema.js";
import { coordinatorAgent } from "./builtin/coordinator/coordinator-agent.js";
import { deploymentAgent } from "./builtin/deployment-agent/deployment-agent.js";
import { guardian } from "./builtin/guardian/guardian.js";
import { issueAgent } from "./builtin/issue-agent/issue-agent.js";
import { logAgent } from "./builtin/log-agent.js";
import { reviewAgent } from "./builtin/review-agent/review-agent.js";

/** The built-in agents: IssueAgent, CoordinatorAgent, ReviewAgent, DeploymentAgent, Guardian. */
export const BUILTIN_AGENTS: readonly Agent[] = [issueAgent, coordinatorAgent, reviewAgent, deploymentAgent, guardian];

/**
 * The built-in agents by name (plus any given, and the log agent): `get` of a name with no
 * agent is undefined, never a stand-in, so a task for an agent this process does not have
 * fails instead of passing for done.
 */
export function createRegistry(agents: readonly Agent[] = []): { get: (name: string) => Agent | undefined; has: (name: string) => boolean; all: () => Agent[] } {
  const byName = new Map<string, Agent>([[logAgent.name, logAgent]]);
  for (const agent of BUILTIN_AGENTS) byName.set(agent.name, agent);
  for (const agent of agents) byName.set(agent.name, agent);
  return {
    get: (name) => byName.get(name),
    has: (name) => byName.has(name),
    all: () => [...byName.values()],
  };
}

export type AgentRegistry = ReturnType<typeof createRegistry>;

/**
 * Whether a process with these configured agents (`agents:`) and this registry runs an
 * agent of that name: a configured program, endpoint, workflow or workspace, or a built-in
 * the registry has. A task of any other agent waits in the store for a switchyard that has it.
 *
 * @example knowsAgentOf({ Labeler: { exec: { command: "./label" } } }, createRegistry())("Labeler") // true
 */
export function knowsAgentOf(agents: Config["agents"], registry: AgentRegistry): (agent: string) => boolean {
  return (agent) => {
    const builtin = builtinAgentOf(agent, agents);
    return builtin === null || registry.get(builtin) !== undefined;
  };
}
