import type { RepoState, World } from "./state.js";
import type { FakeComment, FakeDeployment, FakeDeploymentStatus, FakeIssue, FakeLabel, FakeReaction, FakeStatus } from "./types.js";

/**
 * The JSON GitHub sends for each record: the fields the agents read, with GitHub's names,
 * not every field of the real schema.
 */

export type Json = Record<string, unknown>;

export function renderUser(world: World, login: string): Json {
  const user = world.user(login);
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    type: user.type,
    site_admin: false,
    url: `${world.baseUrl}/users/${user.login}`,
    html_url: `https://github.com/${user.login}`,
  };
}

function apiUrl(repo: RepoState): string {
  return `${repo.world.baseUrl}/repos/${repo.fullName}`;
}

export function renderRepo(repo: RepoState): Json {
  const owner = repo.world.user(repo.owner);
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    owner: renderUser(repo.world, owner.login),
    private: false,
    default_branch: repo.defaultBranch,
    url: apiUrl(repo),
    html_url: `https://github.com/${repo.fullName}`,
  };
}

export function renderLabel(repo: RepoState, label: FakeLabel): Json {
  return {
    id: label.id,
    node_id: `LA_${label.id}`,
    url: `${apiUrl(repo)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    description: label.description,
    default: false,
  };
}

export function renderIssueLabels(repo: RepoState, issue: FakeIssue): Json[] {
  return issue.labels.map((name) => renderLabel(repo, repo.ensureLabel(name)));
}

export function renderIssue(repo: RepoState, issue: FakeIssue): Json {
  const url = `${apiUrl(repo)}/issues/${issue.number}`;
  return {
    id: issue.number + repo.id * 100_000,
    node_id: `I_${repo.id}_${issue.number}`,
    url,
    html_url: `https://github.com/${repo.fullName}/${issue.pull_request ? "pull" : "issues"}/${issue.number}`,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    state_reason: issue.state_reason,
    locked: false,
    labels: renderIssueLabels(repo, issue),
    assignee: issue.assignees[0] === undefined ? null : renderUser(repo.world, issue.assignees[0]),
    assignees: issue.assignees.map((login) => renderUser(repo.world, login)),
    user: renderUser(repo.world, issue.user),
    comments: repo.comments.filter((c) => c.issue_number === issue.number).length,
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    closed_at: issue.closed_at,
    author_association: issue.user.toLowerCase() === repo.owner.toLowerCase() ? "OWNER" : "NONE",
    ...(issue.pull_request ? { pull_request: { url: `${apiUrl(repo)}/pulls/${issue.number}` } } : {}),
  };
}

export function renderPull(repo: RepoState, number: number): Json {
  const issue = repo.issue(number);
  const pull = repo.pull(number);
  const sum = (key: "additions" | "deletions") => pull.files.reduce((n, f) => n + f[key], 0);
  const branch = (b: { ref: string; sha: string }) => ({ ref: b.ref, sha: b.sha, label: `${repo.owner}:${b.ref}`, repo: renderRepo(repo) });
  // A pull request's JSON is its issue's, without the `pull_request` link issues carry.
  const { pull_request: _link, ...issueJson } = renderIssue(repo, issue);
  return {
    ...issueJson,
    url: `${apiUrl(repo)}/pulls/${number}`,
    issue_url: `${apiUrl(repo)}/issues/${number}`,
    draft: pull.draft,
    merged: pull.merged,
    head: branch(pull.head),
    base: branch(pull.base),
    requested_reviewers: pull.requested_reviewers.map((login) => renderUser(repo.world, login)),
    requested_teams: pull.requested_teams.map((slug) => ({ slug, name: slug })),
    additions: sum("additions"),
    deletions: sum("deletions"),
    changed_files: pull.files.length,
  };
}

export function renderComment(repo: RepoState, comment: FakeComment): Json {
  return {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: `${apiUrl(repo)}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${repo.fullName}/issues/${comment.issue_number}#issuecomment-${comment.id}`,
    issue_url: `${apiUrl(repo)}/issues/${comment.issue_number}`,
    body: comment.body,
    user: renderUser(repo.world, comment.user),
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    author_association: comment.user.toLowerCase() === repo.owner.toLowerCase() ? "OWNER" : "NONE",
  };
}

export function renderReaction(world: World, reaction: FakeReaction): Json {
  return { id: reaction.id, node_id: `REA_${reaction.id}`, user: renderUser(world, reaction.user), content: reaction.content, created_at: reaction.created_at };
}

export function renderStatus(repo: RepoState, status: FakeStatus): Json {
  return {
    id: status.id,
    node_id: `SC_${status.id}`,
    url: `${apiUrl(repo)}/statuses/${status.sha}`,
    state: status.state,
    context: status.context,
    description: status.description,
    target_url: status.target_url,
    creator: renderUser(repo.world, status.creator),
    created_at: status.created_at,
    updated_at: status.created_at,
  };
}

export function renderDeployment(repo: RepoState, d: FakeDeployment): Json {
  const { creator, ...fields } = d;
  return {
    ...fields,
    node_id: `DE_${d.id}`,
    url: `${apiUrl(repo)}/deployments/${d.id}`,
    statuses_url: `${apiUrl(repo)}/deployments/${d.id}/statuses`,
    original_environment: d.environment,
    creator: renderUser(repo.world, creator),
    updated_at: d.created_at,
  };
}

export function renderDeploymentStatus(repo: RepoState, s: FakeDeploymentStatus): Json {
  const { creator, deployment_id, ...fields } = s;
  return {
    ...fields,
    node_id: `DES_${s.id}`,
    url: `${apiUrl(repo)}/deployments/${deployment_id}/statuses/${s.id}`,
    deployment_url: `${apiUrl(repo)}/deployments/${deployment_id}`,
    target_url: s.log_url,
    creator: renderUser(repo.world, creator),
    updated_at: s.created_at,
  };
}
