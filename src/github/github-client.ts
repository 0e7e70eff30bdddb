import type { Octokit } from "@octokit/rest";
import type { Logger } from "pino";
import type { Store } from "../store/store.js";
import type { WritePacer } from "./write-pacer.js";

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
}

/**
 * The GitHub operations agents use, small and typed, over one Octokit. Every write is
 * recorded in the store's `github_actions` (what agents did, or would do in dry-run) and
 * paced; in dry-run it is only recorded and logged, never sent. Reads go to the API when
 * credentials exist; without them `canRead` is false and agents work from the payload.
 */
export interface GithubClient {
  readonly dryRun: boolean;
  readonly canRead: boolean;
  getIssue(repo: string, number: number): Promise<IssueState | null>;
  listComments(repo: string, number: number): Promise<CommentState[]>;
  /** admin | maintain | write | triage | read | none; null when it cannot be read. */
  getPermission(repo: string, login: string): Promise<string | null>;
  listRepoLabels(repo: string): Promise<string[] | null>;
  createLabel(repo: string, label: { name: string; color: string; description: string }): Promise<void>;
  addLabels(repo: string, number: number, labels: string[]): Promise<void>;
  removeLabel(repo: string, number: number, name: string): Promise<void>;
  createComment(repo: string, number: number, body: string): Promise<number | null>;
  updateComment(repo: string, commentId: number, body: string): Promise<void>;
  addReaction(repo: string, target: { comment: number } | { issue: number }, content: "eyes" | "+1" | "rocket" | "confused"): Promise<void>;
}

export interface GithubClientOptions {
  octokit: Octokit | null;
  dryRun: boolean;
  store: Store;
  logger: Logger;
  pace: WritePacer;
  paceKey: string;
  agent: string;
  task: string | null;
  now?: () => number;
}

type Params = Record<string, unknown>;

export function createGithubClient(options: GithubClientOptions): GithubClient {
  const { octokit, dryRun, store, logger, pace, paceKey, agent, task } = options;
  const now = options.now ?? Date.now;

  async function read<T>(route: string, params: Params): Promise<T | null> {
    if (!octokit) return null;
    const response = await octokit.request(route, params);
    return response.data as T;
  }

  async function write<T>(route: string, params: Params): Promise<T | null> {
    const [method = "POST", path = route] = route.split(" ");
    const record = { agent, task, method, route: path, body: params, dryRun, at: now() };
    if (dryRun || !octokit) {
      await store.recordGithubAction({ ...record, dryRun: true });
      logger.info({ method, route: path }, "dry-run: GitHub write recorded, not sent");
      return null;
    }
    const response = await pace(paceKey, () => octokit.request(route, params));
    await store.recordGithubAction(record);
    return response.data as T;
  }

  return {
    dryRun: dryRun || !octokit,
    canRead: octokit !== null,

    async getIssue(repo, number) {
      const data = await read<{ number: number; title: string; body: string | null; state: string; labels: ({ name?: string } | string)[]; pull_request?: unknown; user: { login: string } | null }>(
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        { ...repoRef(repo), issue_number: number },
      );
      if (!data) return null;
      return {
        number: data.number,
        title: data.title,
        body: data.body ?? "",
        state: data.state,
        labels: data.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter((n) => n !== ""),
        isPullRequest: data.pull_request !== undefined && data.pull_request !== null,
        user: data.user?.login ?? null,
      };
    },

    async listComments(repo, number) {
      if (!octokit) return [];
      const comments = await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repoRef(repo), issue_number: number, per_page: 100 });
      return comments.map((c) => ({ id: c.id, body: c.body ?? "", user: c.user?.login ?? null }));
    },

    async getPermission(repo, login) {
      const data = await read<{ permission: string }>("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { ...repoRef(repo), username: login });
      return data?.permission ?? null;
    },

    async listRepoLabels(repo) {
      if (!octokit) return null;
      const labels = await octokit.paginate("GET /repos/{owner}/{repo}/labels", { ...repoRef(repo), per_page: 100 });
      return labels.map((l) => l.name);
    },

    async createLabel(repo, label) {
      try {
        await write("POST /repos/{owner}/{repo}/labels", { ...repoRef(repo), ...label });
      } catch (error) {
        // Created meanwhile by someone else (or a previous attempt): that is what we wanted.
        if ((error as { status?: number }).status !== 422) throw error;
      }
    },

    async addLabels(repo, number, labels) {
      if (labels.length === 0) return;
      await write("POST /repos/{owner}/{repo}/issues/{issue_number}/labels", { ...repoRef(repo), issue_number: number, labels });
    },

    async removeLabel(repo, number, name) {
      try {
        await write("DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", { ...repoRef(repo), issue_number: number, name });
      } catch (error) {
        // Already gone: removing is idempotent for us.
        if ((error as { status?: number }).status !== 404) throw error;
      }
    },

    async createComment(repo, number, body) {
      const data = await write<{ id: number }>("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repoRef(repo), issue_number: number, body });
      return data?.id ?? null;
    },

    async updateComment(repo, commentId, body) {
      await write("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { ...repoRef(repo), comment_id: commentId, body });
    },

    async addReaction(repo, target, content) {
      if ("comment" in target) {
        await write("POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", { ...repoRef(repo), comment_id: target.comment, content });
      } else {
        await write("POST /repos/{owner}/{repo}/issues/{issue_number}/reactions", { ...repoRef(repo), issue_number: target.issue, content });
      }
    },
  };
}
