import { createHash } from "node:crypto";
import { addDeploymentStatus } from "./routes/deployments.js";
import type { RepoState } from "./state.js";
import { timestamp } from "./state.js";
import type {
  FakeComment, FakeDeployment, FakeDeploymentStatus, FakeDispatch, FakeIssue, FakeLabel, FakePullFile,
  FakePullRequest, FakeReaction, FakeReview, FakeStatus, FakeWorkflow, Permission,
} from "./types.js";

export type IssueSeed = Partial<Omit<FakeIssue, "pull_request">>;
export type PullSeed = IssueSeed & Partial<Pick<FakePullRequest, "draft" | "merged" | "head" | "base" | "requested_reviewers">>;
export type CommentSeed = Partial<FakeComment> & { body: string };
export type WorkflowSeed = Partial<Omit<FakeWorkflow, "path">> & { file: string };
export type DeploymentSeed = Partial<FakeDeployment> & { sha: string; statuses?: string[] };
export type StatusSeed = Partial<FakeStatus> & { state: FakeStatus["state"] };

/**
 * One repository of the fake, to seed before a test and inspect after it. Seeders upsert
 * (same number or id replaces) and every getter returns a copy, so a test cannot change
 * the fake's state by accident. Lists are in creation order.
 *
 * @example
 * const repo = fake.repo("octo/app");
 * repo.addIssue({ number: 7, title: "Crash on start", labels: ["bug"] });
 * // … run the agent …
 * expect(repo.issue(7)?.labels).toContain("priority:high");
 */
export interface RepoHandle {
  readonly fullName: string;
  addIssue(seed?: IssueSeed): FakeIssue;
  /** The pull and its issue half; head/base default to deterministic refs and shas. */
  addPull(seed?: PullSeed, files?: FakePullFile[]): FakePullRequest;
  addLabel(name: string, color?: string, description?: string | null): FakeLabel;
  addComment(issueNumber: number, seed: CommentSeed | string): FakeComment;
  setPermission(login: string, permission: Permission): void;
  /** A workflow file (`deploy.yml`) and the `workflow_dispatch` inputs it declares. */
  addWorkflow(seed: WorkflowSeed): FakeWorkflow;
  /** A deployment and, optionally, its status history (`statuses: ["success"]`). */
  addDeployment(seed: DeploymentSeed): FakeDeployment;
  addStatus(sha: string, seed: StatusSeed): FakeStatus;
  /** Point a branch at a sha (refs resolve through branches; `main` exists). */
  setBranch(name: string, sha: string): void;

  readonly issues: FakeIssue[];
  issue(number: number): FakeIssue | undefined;
  readonly pulls: FakePullRequest[];
  pull(number: number): FakePullRequest | undefined;
  readonly labels: FakeLabel[];
  comments(issueNumber: number): FakeComment[];
  readonly reactions: FakeReaction[];
  reviews(pullNumber: number): FakeReview[];
  reviewRequests(pullNumber: number): string[];
  statuses(sha: string): FakeStatus[];
  readonly deployments: FakeDeployment[];
  deploymentStatuses(deploymentId: number): FakeDeploymentStatus[];
  readonly dispatches: FakeDispatch[];
}

/** A stable fake sha, so seeded pulls have the same head across runs. */
export function fakeSha(seed: string): string {
  return createHash("sha1").update(seed).digest("hex");
}

/** Replace the item with the same id, or append it. */
function upsert<T extends { id: number }>(list: T[], item: T): T {
  const at = list.findIndex((x) => x.id === item.id);
  list.splice(at === -1 ? list.length : at, at === -1 ? 0 : 1, item);
  return item;
}

export function createRepoHandle(repo: RepoState): RepoHandle {
  const copy = structuredClone;
  const world = repo.world;
  const pullRequest = (number: number): FakePullRequest | undefined => {
    const issue = repo.issues.get(number);
    const pull = repo.pulls.get(number);
    return issue && pull ? copy({ ...issue, ...pull }) : undefined;
  };
  const upsertIssue = (seed: IssueSeed, pullRequestFlag: boolean): FakeIssue => {
    const now = timestamp();
    const { labels = [], ...fields } = seed;
    const issue: FakeIssue = {
      number: repo.nextNumber(), title: "Untitled", body: null, state: "open", state_reason: null, assignees: [],
      user: world.identity.login, created_at: now, updated_at: now, closed_at: null, ...fields, labels: [], pull_request: pullRequestFlag,
    };
    world.user(issue.user);
    repo.addLabels(issue, labels);
    repo.issues.set(issue.number, issue);
    return issue;
  };

  return {
    fullName: repo.fullName,
    addIssue: (seed = {}) => copy(upsertIssue(seed, false)),
    addPull(seed = {}, files = []) {
      const { draft = false, merged = false, head, base, requested_reviewers = [], ...issueSeed } = seed;
      const issue = upsertIssue(issueSeed, true);
      const n = issue.number;
      const pull = {
        number: n, draft, merged, files: copy(files), requested_reviewers, requested_teams: [],
        head: head ?? { ref: `feature-${n}`, sha: fakeSha(`${repo.fullName}#${n}`) },
        base: base ?? { ref: repo.defaultBranch, sha: repo.resolveRef(repo.defaultBranch) ?? fakeSha(repo.fullName) },
      };
      repo.pulls.set(n, pull);
      if (!repo.branches.has(pull.head.ref)) repo.branches.set(pull.head.ref, pull.head.sha);
      return pullRequest(n) as FakePullRequest;
    },
    addLabel(name, color, description) {
      const label = repo.ensureLabel(name, color, description);
      if (color !== undefined) label.color = color;
      if (description !== undefined) label.description = description;
      return copy(label);
    },
    addComment(issueNumber, seed) {
      const fields = typeof seed === "string" ? { body: seed } : seed;
      const now = timestamp();
      const comment: FakeComment = { user: world.identity.login, created_at: now, updated_at: now, ...fields, id: world.nextId(fields.id), issue_number: repo.issue(issueNumber).number };
      world.user(comment.user);
      return copy(upsert(repo.comments, comment));
    },
    setPermission: (login, permission) => void repo.permissions.set(login.toLowerCase(), permission),
    addWorkflow({ file, ...seed }) {
      const path = file.includes("/") ? file : `.github/workflows/${file}`;
      const workflow: FakeWorkflow = { name: file, inputs: [], required: [], dispatchable: true, ...seed, id: world.nextId(seed.id), path };
      return copy(upsert(repo.workflows, workflow));
    },
    addDeployment({ statuses = [], ...seed }) {
      const environment = seed.environment ?? "production";
      const deployment: FakeDeployment = {
        ref: seed.sha, environment, task: "deploy", payload: {}, description: null, creator: world.identity.login, created_at: timestamp(),
        transient_environment: false, production_environment: environment === "production", ...seed, id: world.nextId(seed.id),
      };
      upsert(repo.deployments, deployment);
      for (const state of statuses) addDeploymentStatus(repo, deployment, { state });
      return copy(deployment);
    },
    addStatus(sha, seed) {
      const status: FakeStatus = { context: "default", description: null, target_url: null, creator: world.identity.login, created_at: timestamp(), ...seed, id: world.nextId(seed.id), sha };
      repo.statuses.push(status);
      return copy(status);
    },
    setBranch: (name, sha) => void repo.branches.set(name, sha),

    get issues() { return copy([...repo.issues.values()].sort((a, b) => a.number - b.number)); },
    issue: (number) => copy(repo.issues.get(number)),
    get pulls() { return [...repo.pulls.keys()].sort((a, b) => a - b).map((n) => pullRequest(n) as FakePullRequest); },
    pull: pullRequest,
    get labels() { return copy(repo.labels); },
    comments: (issueNumber) => copy(repo.comments.filter((c) => c.issue_number === issueNumber)),
    get reactions() { return copy(repo.reactions); },
    reviews: (pullNumber) => copy(repo.reviews.filter((r) => r.pull_number === pullNumber)),
    reviewRequests: (pullNumber) => copy(repo.pulls.get(pullNumber)?.requested_reviewers ?? []),
    statuses: (sha) => copy(repo.statuses.filter((s) => s.sha === sha)),
    get deployments() { return copy(repo.deployments); },
    deploymentStatuses: (id) => copy(repo.deploymentStatuses.filter((s) => s.deployment_id === id)),
    get dispatches() { return copy(repo.dispatches); },
  };
}
