import { forkRunReason } from "../../../events/fork-run-reason.js";
import type { Agent, AgentContext } from "../../agent.js";
import { findOwnComment } from "../../own-comment.js";
import { createKeyedQueue } from "./create-keyed-queue.js";
import {
  ESCALATION_LABEL,
  ESCALATION_LABEL_STYLE,
  FAILED_CONCLUSIONS,
  escalationTitle,
  findEscalation,
  renderEscalationBody,
  renderFailureComment,
  renderRecoveryComment,
  runMarker,
  workflowRunOf,
  type WorkflowRun,
} from "./escalation-issue.js";

/**
 * Guardian's find-then-open is not atomic on GitHub: two failures of one workflow handled
 * at once would both find no issue and open two. Within one process they take turns;
 * across processes GitHub's state (the search) is all there is.
 */
const perWorkflow = createKeyedQueue();

/** Whether an earlier attempt of this task (or an earlier delivery of this run) already reported it on the issue. */
async function hasReported(ctx: AgentContext, repo: string, number: number, run: WorkflowRun): Promise<boolean> {
  const marker = runMarker(run);
  const issue = await ctx.github.getIssue(repo, number);
  if (issue?.body.includes(marker)) return true;
  // Only switchyard's own comment: a marker anyone pasted would silence the report.
  return findOwnComment(await ctx.github.listComments(repo, number), ctx.ownLogins, (body) => body.includes(marker)) !== undefined;
}

async function openEscalation(ctx: AgentContext, repo: string, run: WorkflowRun): Promise<number | null> {
  const labels = ctx.github.canRead ? await ctx.github.listRepoLabels(repo) : null;
  if (!labels?.includes(ESCALATION_LABEL)) await ctx.github.createLabel(repo, { name: ESCALATION_LABEL, ...ESCALATION_LABEL_STYLE });
  return ctx.github.createIssue(repo, { title: escalationTitle(run), body: renderEscalationBody(run), labels: [ESCALATION_LABEL] });
}

/** A failure: open the workflow's escalation issue, or comment on the one already open. */
async function escalate(ctx: AgentContext, repo: string, run: WorkflowRun): Promise<string> {
  if (!ctx.github.canRead) {
    await openEscalation(ctx, repo, run);
    return `could not look for an open escalation of "${run.name}" (no credentials); recorded the issue it would open`;
  }
  const open = findEscalation(await ctx.github.listOpenIssuesWithLabel(repo, ESCALATION_LABEL), run, ctx.ownLogins);
  if (!open) {
    const number = await openEscalation(ctx, repo, run);
    return number === null ? `dry-run: recorded an escalation issue for "${run.name}"` : `opened escalation #${number} for "${run.name}" (${run.conclusion})`;
  }
  if (await hasReported(ctx, repo, open.number, run)) return `run ${run.runId} of "${run.name}" is already reported on #${open.number}: nothing done`;
  await ctx.github.createComment(repo, open.number, renderFailureComment(run));
  return `"${run.name}" failed again (${run.conclusion}): commented on escalation #${open.number}`;
}

/** A success: comment on the workflow's open escalation and close it; nothing when none is open. */
async function recover(ctx: AgentContext, repo: string, run: WorkflowRun): Promise<string> {
  if (!ctx.github.canRead) return `cannot look for an escalation of "${run.name}" without GitHub credentials: nothing done`;
  const open = findEscalation(await ctx.github.listOpenIssuesWithLabel(repo, ESCALATION_LABEL), run, ctx.ownLogins);
  if (!open) return `"${run.name}" succeeded; no escalation is open for it`;
  // A retry after the comment but before the close must not comment twice.
  if (!(await hasReported(ctx, repo, open.number, run))) await ctx.github.createComment(repo, open.number, renderRecoveryComment(run));
  await ctx.github.updateIssue(repo, open.number, { state: "closed" });
  return `"${run.name}" succeeded again: closed escalation #${open.number}`;
}

/**
 * Guardian: a failed workflow run on the default branch (failure, timed_out,
 * startup_failure) → one open escalation issue per workflow, labelled
 * `guardian:escalation`, with later failures as comments (one per run attempt, however
 * often the task is retried); the next success comments and closes it. Runs switchyard
 * dispatched itself count like any other: there is no sender filter here. A run from a fork
 * (its head repository is not the repository) is never reported, opened or closed on.
 */
export const guardian: Agent = {
  name: "Guardian",
  help: "Opens one `guardian:escalation` issue per failing workflow on the default branch, comments on it for repeated failures, and closes it when the workflow succeeds again.",
  handle: async (ctx) => {
    const run = workflowRunOf(ctx.event, ctx.payload);
    const repo = ctx.event.repository;
    if (!run || !repo) return { output: "nothing to do: not a workflow run of a repository" };
    // Whoever opens a pull request from a fork chooses its workflows and their outcome: such a
    // run must neither open nor close the repository's escalation, whatever rule routed it here.
    const fork = forkRunReason(ctx.event);
    if (fork !== null) return { output: `${fork}: Guardian reports only the repository's own runs; nothing done` };
    const act = FAILED_CONCLUSIONS.has(run.conclusion) ? escalate : run.conclusion === "success" ? recover : null;
    if (!act) return { output: `"${run.name}" concluded ${run.conclusion}: Guardian acts on failures and successes only` };
    return { output: await perWorkflow(`${repo}:${run.path ?? run.name}`, () => act(ctx, repo, run)) };
  },
};
