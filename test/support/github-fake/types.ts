/**
 * The records the GitHub fake keeps. They are what tests seed and inspect; the JSON GitHub
 * sends is rendered from them (render.ts). Users are referred to by login.
 */

export type UserType = "User" | "Bot" | "Organization";
export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface FakeUser {
  login: string;
  id: number;
  type: UserType;
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

/** An issue, or the issue half of a pull request (GitHub numbers both from one sequence). */
export interface FakeIssue {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  state_reason: string | null;
  /** Label names, in the order they were added. */
  labels: string[];
  assignees: string[];
  user: string;
  pull_request: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface FakeComment {
  id: number;
  issue_number: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
}

export interface FakeReaction {
  id: number;
  /** An issue's number or a comment's id, as `subject` says. */
  subject: "issue" | "comment";
  subject_id: number;
  content: string;
  user: string;
  created_at: string;
}

export interface FakePullFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
}

/** The pull-request half; title, body, state, labels and author live on its FakeIssue. */
export interface FakePull {
  number: number;
  draft: boolean;
  merged: boolean;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  files: FakePullFile[];
  requested_reviewers: string[];
  requested_teams: string[];
}

export interface FakeReview {
  id: number;
  pull_number: number;
  user: string;
  body: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING";
  commit_id: string;
  submitted_at: string;
}

export interface FakeStatus {
  id: number;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  target_url: string | null;
  creator: string;
  created_at: string;
}

export interface FakeDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  task: string;
  payload: unknown;
  description: string | null;
  creator: string;
  created_at: string;
  transient_environment: boolean;
  production_environment: boolean;
}

export interface FakeDeploymentStatus {
  id: number;
  deployment_id: number;
  state: string;
  description: string;
  environment: string;
  log_url: string;
  environment_url: string;
  creator: string;
  created_at: string;
}

export interface FakeWorkflow {
  id: number;
  name: string;
  /** `.github/workflows/<file>`; dispatch accepts the id or the file name. */
  path: string;
  /** The `workflow_dispatch` inputs the workflow declares; anything else is refused. */
  inputs: string[];
  required: string[];
  /** False for a workflow without a `workflow_dispatch` trigger. */
  dispatchable: boolean;
}

export interface FakeDispatch {
  workflow_id: number;
  workflow_path: string;
  ref: string;
  inputs: Record<string, string>;
}

/** One request the fake answered, in arrival order. */
export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** The raw Authorization header (`token …`, `bearer <jwt>`), if any. */
  authorization: string | undefined;
  /** No route matched: the agents called something the fake (and maybe GitHub) lacks. */
  unknown: boolean;
  /** Answered by failNext/failAlways rather than by the route. */
  fault: boolean;
}

/** A pull request as tests see it: the issue half and the pull half together. */
export type FakePullRequest = FakeIssue & FakePull;
