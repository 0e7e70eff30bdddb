import type { Agent } from "./agent.js";
import { logAgent } from "./builtin/log-agent.js";

/** The built-in agents by name. Agents not built yet fall back to the log agent. */
export function createRegistry(agents: readonly Agent[] = []): { get: (name: string) => Agent; has: (name: string) => boolean; all: () => Agent[] } {
  const byName = new Map<string, Agent>([[logAgent.name, logAgent]]);
  for (const agent of agents) byName.set(agent.name, agent);
  return {
    get: (name) => byName.get(name) ?? logAgent,
    has: (name) => byName.has(name),
    all: () => [...byName.values()],
  };
}

export type AgentRegistry = ReturnType<typeof createRegistry>;
