import { PermanentError } from "../../queue/agent-errors.js";
import type { AgentContext, AgentResult } from "../agent.js";
import { taskCommands } from "../task-commands.js";

/** A `workflow` agent from the config: `{workflow: {id, ref}}`. */
export interface WorkflowAgentSpec {
  /** The workflow file name (`agent-runner.yml`) or its numeric id. */
  id: string | number;
  /** The branch or tag whose version of the workflow runs. */
  ref: string;
}

/**
 * The inputs a dispatched workflow gets, with what each holds: the target workflow must
 * declare every one (GitHub answers 422 to an undeclared input), and `switchyard init`
 * writes agent-runner.yml from this table. Nine, because workflow_dispatch takes at most
 * ten, all strings. `action` is the event's action, as SWITCHYARD_ACTION for exec agents.
 */
export const WORKFLOW_INPUTS = {
  agent: "The agent name from switchyard's config (agents.<name>)",
  action: "The event's action (opened, labeled, created…); empty for push",
  task_id: "switchyard's task id: `switchyard tasks` and the admin API know it",
  delivery: "The GitHub delivery id the task came from",
  event: "The GitHub event name (issues, pull_request, issue_comment…)",
  repository: "owner/name of the repository the event is about",
  number: "The issue or pull request number; empty when there is none",
  command: "The first /agent command of a comment that is this task's (execute, review…; the one its rule names); empty otherwise",
  args: "That command's arguments, separated by single spaces",
} as const;

export type WorkflowInput = keyof typeof WORKFLOW_INPUTS;

/**
 * What a dispatched workflow learns about its task: every input of WORKFLOW_INPUTS, each a
 * string ("" when absent). The task document (payload included) does not fit in inputs; a
 * runner that needs more reads it from GitHub with the repository and number.
 *
 * @example workflowInputs(ctx) // {agent: "ExecutionAgent", action: "created", task_id: "42", …, command: "execute", args: ""}
 */
export function workflowInputs(ctx: Pick<AgentContext, "task" | "event" | "config">): Record<WorkflowInput, string> {
  const { task, event } = ctx;
  // Of `/agent status` and `/agent mycmd` in one comment, a rule for mycmd gets mycmd.
  const command = taskCommands(ctx)[0];
  return {
    agent: task.agent,
    action: event.action ?? "",
    task_id: task.id,
    delivery: task.delivery,
    event: event.type,
    repository: event.repository ?? "",
    number: event.number === null ? "" : String(event.number),
    command: command?.name ?? "",
    args: command?.args.join(" ") ?? "",
  };
}

/**
 * Runs a task as a GitHub Actions workflow (docs/agents.md): a workflow_dispatch in the
 * event's repository. GitHub answers 204 without a run id, so the task succeeds once the
 * dispatch is accepted; the run's name (agent-runner.yml's `run-name`) carries the task id.
 * A 422 (an input the workflow does not declare, no workflow_dispatch trigger, an unknown
 * ref) is permanent, with the fix; other errors propagate for the worker to classify.
 *
 * @example await runWorkflowAgent({ id: "agent-runner.yml", ref: "main" }, ctx)
 */
export async function runWorkflowAgent(spec: WorkflowAgentSpec, ctx: AgentContext): Promise<AgentResult> {
  const repository = ctx.event.repository;
  if (!repository) throw new PermanentError(`the ${ctx.event.type} event names no repository to dispatch workflow ${spec.id} in`);
  const inputs = workflowInputs(ctx);
  try {
    await ctx.github.dispatchWorkflow(repository, spec.id, spec.ref, inputs);
  } catch (error) {
    if ((error as { status?: unknown }).status !== 422) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(
      `GitHub refused the workflow_dispatch of ${spec.id} on ${spec.ref} in ${repository} (HTTP 422: ${reason}): the workflow must have a workflow_dispatch trigger declaring the string inputs ${Object.keys(WORKFLOW_INPUTS).join(", ")} (switchyard init writes one: agent-runner.yml), and the ref must exist`,
      { cause: error },
    );
  }
  const where = `workflow ${spec.id} on ${spec.ref} in ${repository}`;
  if (ctx.github.dryRun) return { output: `dry-run: the workflow_dispatch of ${where} was recorded, not sent` };
  return { output: `dispatched ${where}; GitHub returns no run id: find the run by its name, which carries task ${inputs.task_id}` };
}
