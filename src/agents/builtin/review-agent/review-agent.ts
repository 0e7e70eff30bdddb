import { OWN_MARKER } from "../../../commands/parse-commands.js";
import { PermanentError } from "../../../queue/agent-errors.js";
import type { Agent, AgentContext } from "../../agent.js";
import { findOwnComment } from "../../own-comment.js";
import { readPullSubject } from "./read-pull-subject.js";
import { REVIEW_MARKER, renderReview } from "./render-review.js";
import { runChecks, type ReviewReport } from "./run-checks.js";
import { isSizeLabel, SIZE_LABEL_STYLES, type SizeLabel } from "./size-label.js";

/** The commit status context the review sets on the head sha. */
export const REVIEW_STATUS_CONTEXT = "switchyard/review";

/** What one review did; `skipped` says why nothing was checked or written. */
export interface ReviewResult {
  repo: string;
  number: number;
  /** Why the pull request was not reviewed (a draft, not a pull request); null when it was. */
  skipped: string | null;
  /** The PR's author, when known (never asked to review their own PR). */
  author: string | null;
  headSha: string | null;
  /** Whether the changed files could be read (false without credentials). */
  filesRead: boolean;
  /** The verdicts, the size label, the status state and line; null when skipped. */
  report: ReviewReport | null;
  labels: { added: SizeLabel[]; removed: SizeLabel[] };
  /** The review comment: its id (null in dry-run) and whether this run created it. */
  comment: { id: number | null; created: boolean } | null;
  /** The `switchyard/review` status written, null when there is no head sha to put it on. */
  status: { state: "success" | "failure"; description: string } | null;
}

// One review per pull request at a time in this process: two runs racing (opened, then a
// quick push) would otherwise both find no review comment and both create one.
const inFlight = new Map<string, Promise<unknown>>();

async function serialized<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = inFlight.get(key) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(run);
  inFlight.set(key, current);
  try {
    return await current;
  } finally {
    if (inFlight.get(key) === current) inFlight.delete(key);
  }
}

/** Replaces any other `size/*` label switchyard set with `wanted`; never touches other labels. */
async function applySizeLabel(ctx: AgentContext, repo: string, number: number, current: string[], wanted: SizeLabel | null): Promise<ReviewResult["labels"]> {
  if (wanted === null) return { added: [], removed: [] };
  const removed = current.filter((l): l is SizeLabel => isSizeLabel(l) && l !== wanted);
  for (const label of removed) await ctx.github.removeLabel(repo, number, label);
  if (current.includes(wanted)) return { added: [], removed };
  const existing = ctx.github.canRead ? ((await ctx.github.listRepoLabels(repo)) ?? []) : [];
  if (!existing.includes(wanted)) await ctx.github.createLabel(repo, { name: wanted, ...SIZE_LABEL_STYLES[wanted] });
  await ctx.github.addLabels(repo, number, [wanted]);
  return { added: [wanted], removed };
}

/** Edits the one review comment, found by its markers, or creates it. */
async function upsertComment(ctx: AgentContext, repo: string, number: number, body: string): Promise<NonNullable<ReviewResult["comment"]>> {
  // Both markers at the very start: a human quoting the marker mid-comment is not ours.
  const prefix = `${OWN_MARKER}\n${REVIEW_MARKER}`;
  // And written by switchyard: anyone can start a comment with the markers.
  const existing = findOwnComment(await ctx.github.listComments(repo, number), ctx.ownLogins, (body) => body.startsWith(prefix));
  if (existing) {
    await ctx.github.updateComment(repo, existing.id, body);
    return { id: existing.id, created: false };
  }
  return { id: await ctx.github.createComment(repo, number, body), created: true };
}

/**
 * Reviews pull request `number` of the event's repository: runs the checks, sets its size
 * label, creates or edits its one review comment and sets the `switchyard/review` status
 * on the head sha. Idempotent: a re-run edits what the last one wrote. Draft PRs are
 * skipped with nothing written. Without credentials the checks run on the payload's title
 * and body and the writes are only recorded. This is what `/agent review` calls.
 *
 * @example
 * const result = await reviewPullRequest(ctx, ctx.event.number!);
 * if (result.report?.state === "failure") ctx.logger.warn(describeReview(result));
 */
export async function reviewPullRequest(ctx: AgentContext, number: number): Promise<ReviewResult> {
  const repo = ctx.event.repository;
  if (!repo) throw new PermanentError(`${ctx.event.type} names no repository: nothing to review`);
  return serialized(`${repo}#${number}`, async () => {
    ctx.signal.throwIfAborted();
    const subject = await readPullSubject(ctx, repo, number);
    const result: ReviewResult = {
      repo, number, skipped: subject.skipped, author: subject.author, headSha: subject.headSha, filesRead: false,
      report: null, labels: { added: [], removed: [] }, comment: null, status: null,
    };
    if (subject.skipped) return result;

    const files = ctx.github.canRead ? await ctx.github.listPullFiles(repo, number) : null;
    result.filesRead = files !== null;
    const report = runChecks({
      title: subject.title, body: subject.body, files, changedLines: subject.changedLines,
      filesUnavailable: "no GitHub credentials to read the changed files",
    });
    result.report = report;

    ctx.signal.throwIfAborted();
    result.labels = await applySizeLabel(ctx, repo, number, subject.labels, report.sizeLabel);
    result.comment = await upsertComment(ctx, repo, number, renderReview(report, { headSha: subject.headSha, filesRead: result.filesRead }));
    // The status goes last: once it is set, everything it summarises is in place.
    if (subject.headSha) {
      await ctx.github.createStatus(repo, subject.headSha, { state: report.state, context: REVIEW_STATUS_CONTEXT, description: report.description });
      result.status = { state: report.state, description: report.description };
    }
    return result;
  });
}

/**
 * One line about a review, for an attempt's output or a command's reply. Never contains a
 * secret: it is built from the verdicts' summaries only.
 *
 * @example describeReview(result) // "#7: failure — 1 likely secret in added lines; size/S; review comment created"
 */
export function describeReview(result: ReviewResult): string {
  if (result.skipped || !result.report) return `#${result.number}: not reviewed: ${result.skipped ?? "nothing to check"}`;
  const parts = [`#${result.number}: ${result.report.state} — ${result.report.description}`];
  if (result.report.sizeLabel) parts.push(result.report.sizeLabel);
  if (!result.filesRead) parts.push("files not read (no credentials)");
  // A dry-run comment has no id: it was recorded, not sent.
  if (result.comment) parts.push(result.comment.id === null ? "review comment recorded (dry-run: not sent)" : `review comment ${result.comment.created ? "created" : "updated"}`);
  if (!result.status) parts.push("no head sha: status not set");
  return parts.join("; ");
}

const REVIEW_ACTIONS = new Set(["opened", "reopened", "ready_for_review", "review_requested", "synchronize"]);

/** Asks `config.review.reviewers` (not the author) to review; a refusal is a config error. */
async function requestReviewers(ctx: AgentContext, result: ReviewResult): Promise<string> {
  const author = result.author?.toLowerCase();
  const reviewers = [...new Set(ctx.config.review.reviewers)].filter((r) => r.toLowerCase() !== author);
  if (reviewers.length === 0) return ctx.config.review.reviewers.length === 0 ? "no reviewers configured (review.reviewers)" : "no reviewer to request but the author";
  try {
    await ctx.github.requestReviewers(result.repo, result.number, reviewers);
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status !== 422) throw error;
    // GitHub refuses non-collaborators with 422; retrying cannot fix the config.
    // The fix first: the task's last_error is shown truncated.
    throw new PermanentError(`review.reviewers must be collaborators of ${result.repo}: GitHub refused to request ${reviewers.join(", ")} (${(error as Error).message})`, { cause: error, output: describeReview(result) });
  }
  return `${ctx.github.dryRun ? "would request" : "requested"} reviewers: ${reviewers.join(", ")}`;
}

/**
 * ReviewAgent: on `pull_request` opened, reopened, ready_for_review, review_requested and
 * synchronize (and `/agent review` through the coordinator) runs reviewPullRequest;
 * `ready_for_review` also requests `review.reviewers`. Drafts are skipped, writing nothing.
 */
export const reviewAgent: Agent = {
  name: "ReviewAgent",
  help: "Reviews pull requests without a model: size label, tests touched, Conventional Commits title, description, large or generated files and likely secrets in added lines; one review comment kept up to date and a `switchyard/review` status (failing only on likely secrets). Requests the configured reviewers when a PR is ready for review.",
  handle: async (ctx) => {
    const { event } = ctx;
    const isCommand = event.type === "issue_comment" && event.isPullRequest;
    if (event.number === null || (!isCommand && (event.type !== "pull_request" || !REVIEW_ACTIONS.has(event.action ?? "")))) {
      return { output: `nothing to review for ${event.type}${event.action ? `.${event.action}` : ""}` };
    }
    if (event.type === "pull_request" && event.draft === true) return { output: `#${event.number}: draft pull request skipped; it is reviewed when marked ready for review` };
    // Requests switchyard made itself (on ready_for_review) follow a review that just ran.
    if (event.action === "review_requested" && event.sender && ctx.ownLogins.includes(event.sender.login)) {
      return { output: `#${event.number}: review requested by switchyard itself; the ready_for_review run already reviewed it` };
    }
    const result = await reviewPullRequest(ctx, event.number);
    const lines = [describeReview(result)];
    if (event.action === "ready_for_review" && !result.skipped) lines.push(await requestReviewers(ctx, result));
    return { output: lines.join("\n") };
  },
};
