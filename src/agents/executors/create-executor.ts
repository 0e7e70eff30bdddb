import type { ExecutorConfig } from "../../config/schema.js";
import { PermanentError, TransientError } from "../../queue/agent-errors.js";
import type { AgentContext, AgentResult } from "../agent.js";
import type { AgentRegistry } from "../registry.js";
import { runExecAgent } from "./exec-executor.js";

/** Runs one task for one agent name, whatever kind of executor the config maps it to. */
export type Executor = (ctx: AgentContext) => Promise<AgentResult | void>;

export interface ExecutorDeps {
  registry: AgentRegistry;
  /** The environment exec agents take their allowlisted variables from. */
  baseEnv: Record<string, string | undefined>;
}

/** The SWITCHYARD_* variables an exec agent gets: what it is running for. */
export function taskVars(ctx: AgentContext): Record<string, string> {
  const { task, event } = ctx;
  return {
    SWITCHYARD_AGENT: task.agent,
    SWITCHYARD_EVENT: event.type,
    SWITCHYARD_ACTION: event.action ?? "",
    SWITCHYARD_DELIVERY: task.delivery,
    SWITCHYARD_TASK: task.id,
    SWITCHYARD_REPOSITORY: event.repository ?? "",
    SWITCHYARD_NUMBER: event.number === null ? "" : String(event.number),
    SWITCHYARD_RULE: task.rule,
    SWITCHYARD_ATTEMPT: String(task.attempts),
  };
}

/** What an exec agent reads on stdin: the task and the event, as one JSON document. */
export function taskDocument(ctx: AgentContext): Record<string, unknown> {
  const { task, event, payload } = ctx;
  return {
    task: { id: task.id, delivery: task.delivery, rule: task.rule, agent: task.agent, action: task.action, priority: task.priority, attempt: task.attempts },
    event: { name: event.type, action: event.action, repository: event.repository, number: event.number, commands: event.commands },
    payload,
  };
}

/**
 * The executor for an agent's config entry: `builtin` looks the agent up in the registry,
 * `exec` spawns the configured program. (`http` and `workflow` executors are not built yet:
 * such a config fails the task permanently with a message that says so.)
 */
export function createExecutor(agentName: string, spec: ExecutorConfig, deps: ExecutorDeps): Executor {
  if (spec === "builtin") return (ctx) => deps.registry.get(agentName).handle(ctx);
  if ("builtin" in spec) return (ctx) => deps.registry.get(spec.builtin).handle(ctx);
  if ("exec" in spec) {
    return async (ctx) => {
      const result = await runExecAgent(
        { argv: spec.exec, timeoutMs: spec.timeout, env: spec.env },
        { task: taskDocument(ctx), vars: taskVars(ctx) },
        { baseEnv: deps.baseEnv, signal: ctx.signal },
      );
      if (result.outcome === "succeeded") return { output: result.output };
      const message = result.error ?? `exec agent failed (${result.outcome})`;
      if (result.outcome === "transient") throw new TransientError(message, { output: result.output });
      throw new PermanentError(message, { output: result.output });
    };
  }
  const kind = "http" in spec ? "http" : "workflow";
  return async () => {
    throw new PermanentError(`the ${kind} executor configured for ${agentName} is not available in this version of switchyard`);
  };
}
