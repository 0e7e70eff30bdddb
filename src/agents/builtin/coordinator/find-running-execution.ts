import type { AgentContext } from "../../agent.js";
import { isOwnComment } from "../../own-comment.js";
import { workspaceCommentTag } from "../../executors/workspace/issue-feedback.js";
import { EXECUTE_PLAN_RULE } from "./build-plan.js";

export interface RunningExecution {
  task: string;
  /** The comment that follows the run on GitHub (the workspace's, else the plan that handed it over); null when none is found. */
  link: string | null;
}

/**
 * The execution task of another `/agent execute` on this issue that has not finished (ready,
 * waiting for a retry, or running), from the store's history of the issue. Its own
 * delivery's task is not "another": a retried coordinator finds the task it enqueued itself.
 */
export async function findRunningExecution(ctx: AgentContext, agent: string): Promise<RunningExecution | null> {
  const { event, store, github, task } = ctx;
  const history = await store.history({ repository: event.repository!, number: event.number! }, { limit: 20, tasksPerDelivery: 20 });
  const running = history
    .flatMap((d) => d.tasks)
    .find((t) => t.agent === agent && t.rule === EXECUTE_PLAN_RULE && (t.status === "ready" || t.status === "running") && t.delivery !== task.delivery);
  if (!running) return null;
  // Only switchyard's own comments: the reply links to it, and anyone can copy its tag.
  const comments = (await github.listComments(event.repository!, event.number!)).filter((c) => isOwnComment(c, ctx.ownLogins));
  const tag = workspaceCommentTag(running.id);
  const comment = comments.find((c) => c.body.includes(tag)) ?? comments.find((c) => c.body.includes(`as task ${running.id};`));
  return { task: running.id, link: comment?.url ?? null };
}
