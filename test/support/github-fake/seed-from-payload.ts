import { createDiscussionHandle } from "./discussions.js";
import { createRepoHandle } from "./repo-handle.js";
import type { RepoHandle } from "./repo-handle.js";
import type { World } from "./state.js";
import type { UserType } from "./types.js";

/** The parts of webhook payloads the fake reads; everything is optional, as across events. */
interface UserJson { login: string; id?: number; type?: string }
interface LabelJson { id?: number; name: string; color?: string; description?: string | null }
interface IssueJson {
  number: number; title: string; body: string | null; state: "open" | "closed"; state_reason?: string | null;
  labels?: LabelJson[]; assignees?: UserJson[]; user: UserJson; pull_request?: object;
  created_at: string; updated_at: string; closed_at: string | null;
}
interface PullJson extends IssueJson {
  draft?: boolean; merged?: boolean; head: { ref: string; sha: string }; base: { ref: string; sha: string }; requested_reviewers?: UserJson[];
}
interface PayloadJson {
  action?: string;
  repository?: { name: string; owner: UserJson; default_branch?: string };
  sender?: UserJson;
  issue?: IssueJson;
  pull_request?: PullJson;
  comment?: { id: number; node_id?: string; parent_id?: number | null; body: string; user: UserJson; created_at: string; updated_at: string };
  discussion?: { node_id: string; number: number; title: string; body: string | null; user: UserJson; labels?: LabelJson[]; category?: { name: string } };
  label?: LabelJson;
  ref?: string;
  after?: string;
  deployment?: { id: number; sha: string; ref: string; environment: string; task: string; payload: unknown; description: string | null; creator: UserJson; created_at: string };
  deployment_status?: { id: number; state: string; description: string | null; environment: string; log_url?: string; target_url?: string; environment_url?: string; creator: UserJson; created_at: string };
  workflow?: { id: number; name: string; path: string };
  workflow_run?: { head_branch: string | null; head_sha: string };
}

function issueSeed(world: World, issue: IssueJson) {
  return {
    number: issue.number, title: issue.title, body: issue.body, state: issue.state, state_reason: issue.state_reason ?? null,
    labels: (issue.labels ?? []).map((l) => l.name), assignees: (issue.assignees ?? []).map((u) => known(world, u)),
    user: known(world, issue.user), created_at: issue.created_at, updated_at: issue.updated_at, closed_at: issue.closed_at,
  };
}

/** Record a payload's user with its id and type (a `Bot` sender matters to loop checks). */
function known(world: World, user: UserJson): string {
  return world.user(user.login, user.type as UserType | undefined, user.id).login;
}

/**
 * Make the fake hold what a webhook payload describes, as GitHub would when it sent it:
 * the repository and its owner, the sender, the issue or pull request with its labels,
 * the comment, a pushed branch, a deployment and its status, a workflow.
 * Pull request files are not in payloads: add them with `repo.addPull(…, files)`.
 */
export function seedFromPayload(world: World, event: string, payload: object): RepoHandle | undefined {
  const p = payload as PayloadJson;
  if (p.sender) known(world, p.sender);
  if (!p.repository) return undefined;
  const owner = known(world, p.repository.owner);
  const repo = world.repo(owner, p.repository.name, true)!;
  repo.defaultBranch = p.repository.default_branch ?? repo.defaultBranch;
  const handle = createRepoHandle(repo);

  const labels = [...(p.issue?.labels ?? []), ...(p.pull_request?.labels ?? []), ...(p.label ? [p.label] : [])];
  for (const l of labels) if (!repo.findLabel(l.name)) handle.addLabel(l.name, l.color, l.description ?? null);

  const pull = p.pull_request;
  if (pull) {
    handle.addPull(
      { ...issueSeed(world, pull), draft: pull.draft, merged: pull.merged, head: { ref: pull.head.ref, sha: pull.head.sha }, base: { ref: pull.base.ref, sha: pull.base.sha }, requested_reviewers: (pull.requested_reviewers ?? []).map((u) => known(world, u)) },
      repo.pulls.get(pull.number)?.files ?? [],
    );
  } else if (p.issue?.pull_request && !repo.pulls.has(p.issue.number)) {
    handle.addPull(issueSeed(world, p.issue));
  } else if (p.issue) {
    const isPull = repo.pulls.has(p.issue.number);
    handle.addIssue(issueSeed(world, p.issue));
    repo.issue(p.issue.number).pull_request = isPull;
  }

  if (event === "issue_comment" && p.comment && p.issue) {
    const { id, body, user, created_at, updated_at } = p.comment;
    if (p.action === "deleted") repo.comments.splice(0, repo.comments.length, ...repo.comments.filter((c) => c.id !== id));
    else handle.addComment(p.issue.number, { id, body, user: known(world, user), created_at, updated_at });
  }
  if ((event === "discussion" || event === "discussion_comment") && p.discussion) seedDiscussion(world, handle, repo, event, p);
  if (event === "push" && p.ref?.startsWith("refs/heads/") && p.after) handle.setBranch(p.ref.slice("refs/heads/".length), p.after);
  if (p.workflow_run?.head_branch) handle.setBranch(p.workflow_run.head_branch, p.workflow_run.head_sha);
  if (p.workflow && !repo.workflows.some((w) => w.id === p.workflow?.id)) handle.addWorkflow({ id: p.workflow.id, name: p.workflow.name, file: p.workflow.path });

  if (p.deployment) {
    const d = p.deployment;
    if (!repo.deployments.some((x) => x.id === d.id)) {
      handle.addDeployment({ id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, task: d.task, payload: d.payload, description: d.description, creator: known(world, d.creator), created_at: d.created_at });
    }
    const s = p.deployment_status;
    if (s && !repo.deploymentStatuses.some((x) => x.id === s.id)) {
      repo.deploymentStatuses.push({
        id: world.nextId(s.id), deployment_id: d.id, state: s.state, description: s.description ?? "", environment: s.environment,
        log_url: s.log_url ?? s.target_url ?? "", environment_url: s.environment_url ?? "", creator: known(world, s.creator), created_at: s.created_at,
      });
    }
  }
  return handle;
}

/** A discussion event's discussion, its labels, and (for discussion_comment) the comment. */
function seedDiscussion(world: World, handle: RepoHandle, repo: NonNullable<ReturnType<World["repo"]>>, event: string, p: PayloadJson): void {
  const d = p.discussion!;
  for (const l of d.labels ?? []) if (!repo.findLabel(l.name)) handle.addLabel(l.name, l.color, l.description ?? null);
  const discussions = createDiscussionHandle(repo);
  discussions.add({ id: d.node_id, number: d.number, title: d.title, body: d.body ?? "", user: known(world, d.user), labels: (d.labels ?? []).map((l) => l.name), category: d.category?.name ?? "General" });
  const c = p.comment;
  if (event !== "discussion_comment" || !c || p.action === "deleted") return;
  const parent = c.parent_id ? discussions.comments(d.number).find((x) => x.databaseId === c.parent_id) : undefined;
  discussions.addComment(d.number, {
    ...(c.node_id ? { id: c.node_id } : {}), databaseId: c.id, body: c.body, user: known(world, c.user), replyToId: parent?.id ?? null, created_at: c.created_at, updated_at: c.updated_at,
  });
}
