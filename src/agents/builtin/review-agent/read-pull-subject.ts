import type { AgentContext } from "../../agent.js";

/** What the review needs to know about a pull request, wherever it came from. */
export interface PullSubject {
  title: string;
  body: string;
  author: string | null;
  headSha: string | null;
  labels: string[];
  /** additions + deletions as the payload states them; null when files will be counted instead. */
  changedLines: number | null;
  /** Why it must not be reviewed (a draft, not a pull request); null to go ahead. */
  skipped: string | null;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

const DRAFT = "draft pull request: it is reviewed when marked ready for review";

/** The pull request as the delivery's payload describes it: a `pull_request` event's PR, or the issue half an `issue_comment` carries. */
function fromPayload(ctx: AgentContext, number: number): PullSubject {
  const pr = obj(ctx.payload.pull_request);
  // An issue_comment's issue is a pull request's issue half only when it says so (`pull_request` key).
  const issue = obj(ctx.payload.issue);
  const subject = [pr, issue].find((s) => s !== null && num(s.number) === number) ?? null;
  if (!subject) return { title: "", body: "", author: null, headSha: null, labels: [], changedLines: null, skipped: `#${number} is not in this event's payload, and without credentials it cannot be read` };
  if (subject === issue && obj(issue.pull_request) === null) {
    return { title: "", body: "", author: null, headSha: null, labels: [], changedLines: null, skipped: `#${number} is not a pull request` };
  }
  const additions = num(subject.additions);
  const deletions = num(subject.deletions);
  const labels = Array.isArray(subject.labels) ? subject.labels.map((l) => str(obj(l)?.name) ?? str(l)).filter((n): n is string => n !== null) : [];
  return {
    title: str(subject.title) ?? "",
    body: str(subject.body) ?? "",
    author: str(obj(subject.user)?.login),
    headSha: str(obj(subject.head)?.sha),
    labels,
    changedLines: additions !== null && deletions !== null ? additions + deletions : null,
    skipped: subject.draft === true ? DRAFT : null,
  };
}

/**
 * Reads pull request `number` fresh from GitHub when credentials allow (the payload of a
 * queued or retried task may be stale: a push or a new label since), else from the payload.
 *
 * @example const subject = await readPullSubject(ctx, "octo/app", 7); if (subject.skipped) return;
 */
export async function readPullSubject(ctx: AgentContext, repo: string, number: number): Promise<PullSubject> {
  const { github } = ctx;
  if (!github.canRead) return fromPayload(ctx, number);
  let pull;
  try {
    pull = await github.getPull(repo, number);
  } catch (error) {
    // An issue number, or a PR the token cannot see: nothing to review, not a failure to retry.
    if ((error as { status?: number }).status !== 404) throw error;
    pull = null;
  }
  if (!pull) return { title: "", body: "", author: null, headSha: null, labels: [], changedLines: null, skipped: `#${number} is not a pull request of ${repo}` };
  const issue = await github.getIssue(repo, number);
  return {
    title: pull.title,
    body: pull.body,
    author: pull.user,
    headSha: pull.headSha,
    labels: issue?.labels ?? [],
    changedLines: null,
    skipped: pull.draft ? DRAFT : null,
  };
}
