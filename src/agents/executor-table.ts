import type { Config } from "../config/schema.js";
import { createExecutor, type Executor, type ExecutorDeps } from "./executors/create-executor.js";

/**
 * Maps agent names to executors as `agents:` in the config says; names the config does
 * not mention run built in. Executors are made once per agent name.
 */
export function createExecutorTable(agents: Config["agents"], deps: ExecutorDeps): (agent: string) => Executor {
  const made = new Map<string, Executor>();
  return (agent) => {
    let executor = made.get(agent);
    if (!executor) {
      executor = createExecutor(agent, agents[agent] ?? "builtin", deps);
      made.set(agent, executor);
    }
    return executor;
  };
}
