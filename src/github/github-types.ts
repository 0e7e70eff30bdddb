/** The shapes of GitHub objects as agents see them: the parts they use, typed. */

/** `owner/name`, split once. */
export interface RepoRef {
  owner: string;
  repo: string;
}

export function repoRef(fullName: string): RepoRef {
  const [owner = "", repo = ""] = fullName.split("/");
  return { owner, repo };
}

export interface IssueState {
  number: number;
  title: string;
  body: string;
  state: string;
  labels: string[];
  isPullRequest: boolean;
  user: string | null;
}

export interface CommentState {
  id: number;
  body: string;
  user: string | null;
  /** Its page on GitHub (`html_url`), to link to. */
  url?: string;
}

/** A pull request as the workspace executor needs it: its number and its page. */
export interface PullRef {
  number: number;
  url: string;
}

export interface PullState {
  number: number;
  title: string;
  body: string;
  draft: boolean;
  state: string;
  merged: boolean;
  headSha: string;
  headRef: string;
  baseRef: string;
  user: string | null;
}

export interface PullFile {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  /** Absent for binary or very large files. */
  patch: string | null;
}

export interface DeploymentState {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  createdAt: string;
}

export interface SearchHit {
  number: number;
  title: string;
  state: string;
  labels: string[];
  /** Who opened it, when the answer says (search and the issues list do). */
  user?: string | null;
  /** Its body, when the answer says (search does): what a marker is checked in. */
  body?: string | null;
}
