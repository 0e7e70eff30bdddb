import type { AgentCommand } from "../commands/parse-commands.js";

/**
 * One GitHub event, reduced to what routing and the agents decide on. Built from any
 * payload without throwing: fields a payload does not have are null.
 */
export interface EventPayload {
  /** The event name, as in X-GitHub-Event or GITHUB_EVENT_NAME: `issues`, `push`, … */
  type: string;
  /** The payload's `action`, null for events without one (push). */
  action: string | null;
  /** `owner/name`. */
  repository: string | null;
  defaultBranch: string | null;
  installationId: number | null;
  sender: { login: string; type: string } | null;
  /** The or pull request's number. */
  number: number | null;
  isPullRequest: boolean;
  title: string | null;
  body: string | null;
  /** Label names on the issue or pull request. */
  labels: string[];
  /** The label a `labeled` event just added. */
  labelAdded: string | null;
  draft: boolean | null;
  merged: boolean | null;
  baseRef: string | null;
  headRef: string | null;
  /** A push's full ref (`refs/heads/main`). */
  ref: string | null;
  /**
   * The repository's branch the event is about: push branch, pull request base, workflow run
   * head branch. Null for a workflow run from a fork (`workflow.fromFork`): its head branch
   * is the fork's, not the repository's, even when both are called `main`.
   */
  branch: string | null;
  isTag: boolean;
  deleted: boolean;
  /** The commit the event is about: push `after`, pull request merge/head sha, workflow run head sha. */
  sha: string | null;
  workflow: WorkflowRunRef | null;
  comment: { id: number | null; body: string; authorAssociation: string | null; markedOwn: boolean } | null;
  /** `/agent` commands of a comment, in order; [] for anything else. */
  commands: AgentCommand[];
  /**
   * For `discussion` and `discussion_comment` events: the discussion (its GraphQL node id,
   * which replies are posted to) and the comment's node ids. Absent or null otherwise.
   */
  discussion?: DiscussionRef | null;
}

/** A `workflow_run` event's run. */
export interface WorkflowRunRef {
  name: string | null;
  path: string | null;
  conclusion: string | null;
  runId: number | null;
  attempt: number | null;
  url: string | null;
  /** `head_branch` as the payload gives it: a branch of `headRepository`, which may be a fork. */
  headBranch: string | null;
  /** `owner/name` of the repository the run's commit came from (a fork's, for a fork's pull request). */
  headRepository: string | null;
  /**
   * True unless the run's head repository is known to be the repository itself (by id, or by
   * name): a fork's pull request, or a payload that does not say. Such a run is on none of
   * the repository's branches, and Guardian never reports it.
   */
  fromFork: boolean;
}

export interface DiscussionRef {
  nodeId: string | null;
  number: number | null;
  category: string | null;
  url: string | null;
  /** The comment's GraphQL node id: the reply goes under it. */
  commentNodeId: string | null;
  /** Set when the comment is itself a reply (GitHub threads are one level deep). */
  parentCommentId: number | null;
}
