import type { ExecutorConfig } from "../../config/schema.js";
import { shortSecretProblem } from "../../config/agent-secret-length.js";
import { unsetSecret } from "../../config/find-agent-problems.js";
import { PermanentError, TransientError } from "../../queue/agent-errors.js";
import type { AgentContext, AgentResult } from "../agent.js";
import type { AgentRegistry } from "../registry.js";
import { EXECUTE_PLAN_RULE, planOf } from "../builtin/coordinator/build-plan.js";
import { encodeTaskDocument, runExecAgent } from "./exec-executor.js";
import { createHttpSigner, runHttpAgent, type HttpSigner } from "./http-executor.js";
import { runWorkflowAgent } from "./workflow-executor.js";
import { createWorkspaceExecutor } from "./workspace/create-workspace-executor.js";

/** Runs one task for one agent name, whatever kind of executor the config maps it to. */
export type Executor = (ctx: AgentContext) => Promise<AgentResult | void>;

export interface ExecutorDeps {
  registry: AgentRegistry;
  /** The environment exec agents take their allowlisted variables from. */
  baseEnv: Record<string, string | undefined>;
  /** switchyard's own secrets (ownSecrets): a workspace agent's output is posted on GitHub, so they are masked there too. */
  ownSecrets?: readonly string[];
}

/**
 * The SWITCHYARD_* variables an exec agent gets: what it is running for, and whether this is
 * a dry run. switchyard records the GitHub writes it makes for an agent, but cannot see the
 * calls an external program makes itself (with a GITHUB_TOKEN its `env:` lists): such a
 * program must read SWITCHYARD_DRY_RUN and hold back its own writes when it is `true`.
 */
export function taskVars(ctx: AgentContext): Record<string, string> {
  const { task, event, github } = ctx;
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
    SWITCHYARD_DRY_RUN: String(github.dryRun),
  };
}

/**
 * What an exec agent reads on stdin (and an http agent receives): the task and the event, as
 * one JSON document; an `execute-plan` task also gets the plan. `dryRun` is SWITCHYARD_DRY_RUN
 * in the signed body, for a receiver that calls GitHub itself (see taskVars).
 */
export function taskDocument(ctx: AgentContext): Record<string, unknown> {
  const { task, event, payload, github } = ctx;
  return {
    task: { id: task.id, delivery: task.delivery, rule: task.rule, agent: task.agent, action: task.action, priority: task.priority, attempt: task.attempts },
    event: { name: event.type, action: event.action, repository: event.repository, number: event.number, commands: event.commands },
    dryRun: github.dryRun,
    // The plan `/agent execute` posted, for the agent that carries it out.
    ...(task.rule === EXECUTE_PLAN_RULE ? { plan: { issue: event.number, steps: planOf(event) } } : {}),
    payload,
  };
}

/**
 * The `webhook-id` of a task's messages to an http agent: the same across the retries of one
 * run (Standard Webhooks: a resent message keeps its id, so receivers can dedupe), and new
 * for each operator replay, which is a deliberate re-run a deduping receiver must not drop:
 * `<delivery>:<task>` for the first run, `<delivery>:<task>:replay-<n>` after the n-th replay
 * (`tasks.replays`). Unique across tasks; the delivery is part of it because in Actions mode
 * every run has a fresh store whose task ids start again at 1.
 *
 * @example httpMessageId({ delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", id: "42", replays: 0 }) // "72d3162e-cc78-11e3-81ab-4c9367dc0958:42"
 * @example httpMessageId({ delivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958", id: "42", replays: 2 }) // "72d3162e-cc78-11e3-81ab-4c9367dc0958:42:replay-2"
 */
export function httpMessageId(task: { delivery: string; id: string; replays: number }): string {
  return task.replays > 0 ? `${task.delivery}:${task.id}:replay-${task.replays}` : `${task.delivery}:${task.id}`;
}

/** An executor that fails every task at once, permanently, with `message`: for what no retry can mend. */
function failEvery(message: string): Executor {
  return async () => {
    throw new PermanentError(message);
  };
}

/**
 * Why a task whose agent this process does not have fails: its config neither configures
 * nor builds in the name (the task was routed under a config that had it, or the process
 * started with another config). It can be replayed once the agent is back; it is never run
 * by a stand-in and marked succeeded.
 */
function notConfigured(agentName: string): string {
  return `agent ${agentName} is not configured in this process (not built in, no agents.${agentName} in its config): add it back, or start with the config that routed the task, then replay the task`;
}

/**
 * The executor for an agent's config entry: `builtin` looks the agent up in the registry,
 * `exec` spawns the configured program, `http` POSTs the signed task document to a URL,
 * `workflow` dispatches a GitHub Actions workflow in the event's repository, `workspace` runs
 * a coding agent in a worktree of the issue's repository and opens a pull request.
 *
 * @example createExecutor("ReviewAgent", { http: { url, secret }, timeout: 30_000 }, deps)(ctx)
 */
export function createExecutor(agentName: string, spec: ExecutorConfig, deps: ExecutorDeps): Executor {
  if (spec === "builtin" || "builtin" in spec) {
    const agent = deps.registry.get(spec === "builtin" ? agentName : spec.builtin);
    if (agent === undefined) return failEvery(notConfigured(agentName));
    return (ctx) => agent.handle(ctx);
  }
  if ("exec" in spec) {
    return async (ctx) => {
      const result = await runExecAgent(
        { argv: spec.exec, timeoutMs: spec.timeout, env: spec.env },
        { task: taskDocument(ctx), vars: taskVars(ctx) },
        { baseEnv: deps.baseEnv, signal: ctx.signal, onSpawn: ctx.reportProcess },
      );
      if (result.outcome === "succeeded") return { output: result.output };
      const message = result.error ?? `exec agent failed (${result.outcome})`;
      if (result.outcome === "transient") throw new TransientError(message, { output: result.output });
      throw new PermanentError(message, { output: result.output });
    };
  }
  if ("http" in spec) {
    // A missing or bad secret fails each of the agent's tasks, not the worker that made the executor.
    // The messages do not name the agent: the task they are recorded on does, and every
    // report of a failed task (route's stderr, the job summary, tasks show) puts it first.
    const { secret } = spec.http;
    const key = typeof secret === "string" ? secret : deps.baseEnv[secret.env]?.trim();
    if (typeof secret !== "string") {
      if (!key) return failEvery(unsetSecret(secret.env));
      // serve and check refuse such a key at start; `route`, which runs agents inline, meets it here.
      const short = shortSecretProblem(key);
      if (short !== null) return failEvery(`http.secret (${secret.env}): ${short}`);
    }
    let sign: HttpSigner;
    try {
      sign = createHttpSigner(key!);
    } catch (error) {
      return failEvery((error as Error).message);
    }
    const httpSpec = { url: spec.http.url, timeoutMs: spec.timeout, secret: key! };
    return async (ctx) => {
      const body = encodeTaskDocument(taskDocument(ctx));
      if (typeof body !== "string") throw new PermanentError(body.error);
      return runHttpAgent(httpSpec, sign, { id: httpMessageId(ctx.task), body }, { signal: ctx.signal });
    };
  }
  if ("workspace" in spec) return createWorkspaceExecutor(spec.workspace, { baseEnv: deps.baseEnv, ownSecrets: deps.ownSecrets });
  const workflow = { id: spec.workflow.id, ref: spec.workflow.ref };
  return (ctx) => runWorkflowAgent(workflow, ctx);
}
