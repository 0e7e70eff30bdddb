import { OWN_MARKER, parseCommands } from "../commands/parse-commands.js";
import { parseDiscussionCommands } from "../commands/parse-discussion-commands.js";
import type { DiscussionRef, EventPayload } from "./event-payload.js";

type Json = Record<string, unknown>;

function obj(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : null;
}
function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}
// Every number read from a payload is an id or a count that goes into a GitHub API path
// (`/issues/{number}`): a positive whole number, or nothing (-5, 1.5 and 1e29 made paths).
function num(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : null;
}
// `owner/name` as GitHub spells them; anything else (`../../x`, `a//b`) would be a path of its own.
const REPOSITORY_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
function repositoryName(value: unknown): string | null {
  if (typeof value !== "string" || !REPOSITORY_NAME.test(value)) return null;
  return value.split("/").some((part) => part === "." || part === "..") ? null : value;
}
function bool(value: unknown): boolean | null {
  return typeof value === "boolean" ? value : null;
}
/**
 * Whether a workflow run's head (the commit and branch it ran on) is the repository's own:
 * a run for a pull request from a fork reports the fork's branch as `head_branch`, usually
 * `main` too. By id when both are given (it outlives renames), else by name, case-insensitively;
 * a run whose head repository is not given is not taken as the repository's.
 */
function headIsRepository(repository: Json | null, head: Json | null): boolean {
  if (!repository || !head) return false;
  const [id, headId] = [num(repository.id), num(head.id)];
  if (id !== null && headId !== null) return id === headId;
  const [name, headName] = [str(repository.full_name), str(head.full_name)];
  return name !== null && headName !== null && name.toLowerCase() === headName.toLowerCase();
}

function labelNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((label) => (typeof label === "string" ? label : str(obj(label)?.name))).filter((n): n is string => n !== null);
}

/**
 * Reduces a GitHub event (its name and JSON payload) to an EventPayload. Total: any object
 * is accepted, and whatever a payload lacks is null, so events switchyard does not route
 * normalize too.
 */
export function normalizeEvent(eventName: string, payload: Json): EventPayload {
  const repository = obj(payload.repository);
  const sender = obj(payload.sender);
  const issue = obj(payload.issue);
  const pr = obj(payload.pull_request);
  // A discussion is numbered from the same sequence as issues, and carries a title, body and labels like one.
  const discussion = eventName === "discussion" || eventName === "discussion_comment" ? obj(payload.discussion) : null;
  const subject = pr ?? issue ?? discussion;
  const comment = obj(payload.comment) ?? obj(payload.review);
  const run = obj(payload.workflow_run);
  const ref = str(payload.ref);

  const isTag = ref?.startsWith("refs/tags/") ?? false;
  const pushBranch = ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
  const baseRef = str(obj(pr?.base)?.ref);
  const headRef = str(obj(pr?.head)?.ref);
  const commentBody = comment ? (str(comment.body) ?? "") : null;
  const runHead = obj(run?.head_repository);
  const fromFork = run !== null && !headIsRepository(repository, runHead);
  // A fork's branch is not the repository's, whatever its name: no branch condition may see it as one.
  const runBranch = fromFork ? null : str(run?.head_branch);
  const markedOwn = commentBody?.includes(OWN_MARKER) ?? false;

  return {
    type: eventName,
    action: str(payload.action),
    repository: repositoryName(repository?.full_name),
    defaultBranch: str(repository?.default_branch) ?? str(repository?.master_branch),
    installationId: num(obj(payload.installation)?.id),
    sender: sender ? { login: str(sender.login) ?? "", type: str(sender.type) ?? "User" } : null,
    number: num(subject?.number) ?? num(payload.number),
    isPullRequest: pr !== null || obj(issue?.pull_request) !== null,
    title: str(subject?.title),
    body: str(subject?.body),
    labels: labelNames(subject?.labels),
    labelAdded: payload.action === "labeled" ? str(obj(payload.label)?.name) : null,
    draft: bool(pr?.draft),
    merged: bool(pr?.merged),
    baseRef,
    headRef,
    ref,
    branch: pushBranch ?? baseRef ?? runBranch,
    isTag,
    deleted: payload.deleted === true,
    sha:
      str(payload.after) ??
      (pr?.merged === true ? str(pr.merge_commit_sha) : null) ??
      str(obj(pr?.head)?.sha) ??
      str(run?.head_sha),
    workflow: run
      ? {
          // Some payloads carry an empty run name; the workflow's own name is the one to match.
          name: str(run.name) || str(obj(payload.workflow)?.name) || null,
          path: str(run.path) ?? str(obj(payload.workflow)?.path),
          conclusion: str(run.conclusion),
          runId: num(run.id),
          attempt: num(run.run_attempt),
          url: str(run.html_url),
          headBranch: str(run.head_branch),
          headRepository: repositoryName(runHead?.full_name),
          fromFork,
        }
      : null,
    comment: comment
      ? { id: num(comment.id), body: commentBody ?? "", authorAssociation: str(comment.author_association), markedOwn }
      : null,
    // switchyard's own comments are never parsed: that is how it avoids answering itself. Only
    // a new comment holds commands: an edit (or a deletion) of one never runs them again,
    // whatever the rules say of the action.
    commands:
      markedOwn || payload.action !== "created"
        ? []
        : eventName === "issue_comment"
          ? parseCommands(commentBody)
          : eventName === "discussion_comment"
            ? parseDiscussionCommands(commentBody)
            : [],
    discussion: discussion ? discussionRef(discussion, comment) : null,
  };
}

function discussionRef(discussion: Json, comment: Json | null): DiscussionRef {
  return {
    nodeId: str(discussion.node_id),
    number: num(discussion.number),
    category: str(obj(discussion.category)?.name),
    url: str(discussion.html_url),
    commentNodeId: str(comment?.node_id),
    parentCommentId: num(comment?.parent_id),
  };
}
