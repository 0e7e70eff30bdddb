import type { WorkspaceExecutorConfig } from "../../../config/schema.js";
import type { Executor } from "../create-executor.js";
import { runWorkspaceTask, type WorkspaceDeps } from "./run-workspace-task.js";

/**
 * The `workspace` executor: a coding-agent CLI run in a git worktree of the issue's
 * repository, its work pushed to switchyard's branch for the issue and offered as one pull
 * request (docs/agents.md#workspace-agents).
 *
 * @example createWorkspaceExecutor({ run: ["my-agent", "--prompt-file", "{promptFile}"], … }, { baseEnv: process.env })(ctx)
 */
export function createWorkspaceExecutor(spec: WorkspaceExecutorConfig, deps: WorkspaceDeps): Executor {
  return (ctx) => runWorkspaceTask(spec, ctx, deps);
}
