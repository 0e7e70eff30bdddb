import type { Octokit, RestEndpointMethodTypes } from "@octokit/rest";
import type { Logger } from "pino";
import type { GithubActionRecord } from "../store/store.js";
import type { WritePacer } from "./write-pacer.js";
import { ADD_DISCUSSION_COMMENT, DISCUSSION_AROUND_COMMENT_QUERY, DISCUSSION_QUERY, discussionFrom, UPDATE_DISCUSSION_COMMENT, type DiscussionQueryData, type DiscussionState } from "./discussion-queries.js";
import { answerShape, type FieldKind } from "./json-answers.js";
import { repoRef, type CommentState, type DeploymentState, type IssueState, type PullFile, type PullRef, type PullState, type SearchHit } from "./github-types.js";
import { requestLine } from "./request-line.js";
import { TransientError } from "../queue/agent-errors.js";

export { repoRef } from "./github-types.js";
export type { CommentState, DeploymentState, IssueState, PullFile, PullRef, PullState, RepoRef, SearchHit } from "./github-types.js";

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
  createIssue(repo: string, issue: { title: string; body: string; labels: string[] }): Promise<number | null>;
  updateIssue(repo: string, number: number, changes: { state?: "open" | "closed"; title?: string; body?: string }): Promise<void>;
  /** Open issues (not pull requests) carrying a label, with who opened them, straight from the issues list (search's index lags); [] without credentials. */
  listOpenIssuesWithLabel(repo: string, label: string): Promise<SearchHit[]>;
  getPull(repo: string, number: number): Promise<PullState | null>;
  /** Every changed file (paginated); null without credentials. */
  listPullFiles(repo: string, number: number): Promise<PullFile[] | null>;
  requestReviewers(repo: string, number: number, reviewers: string[]): Promise<void>;
  createStatus(repo: string, sha: string, status: { state: "success" | "failure" | "pending" | "error"; context: string; description: string; target_url?: string }): Promise<void>;
  /** Newest first; null without credentials. */
  listDeployments(repo: string, filter: { sha?: string; environment?: string }): Promise<DeploymentState[] | null>;
  /** The latest status state of a deployment (`success`, `failure`, …), null when none. */
  latestDeploymentStatus(repo: string, deploymentId: number): Promise<string | null>;
  createDeployment(repo: string, deployment: { ref: string; sha?: string; environment: string; description: string; payload?: Record<string, unknown> }): Promise<number | null>;
  createDeploymentStatus(repo: string, deploymentId: number, status: { state: "success" | "failure" | "in_progress" | "queued" | "error" | "inactive"; description: string; log_url?: string }): Promise<void>;
  /** workflow_dispatch: a 204 with no run id. */
  dispatchWorkflow(repo: string, workflow: string | number, ref: string, inputs: Record<string, string>): Promise<void>;
  /** The commit sha a branch, tag or sha points at now; null without credentials. */
  getRefSha(repo: string, ref: string): Promise<string | null>;
  /** The open pull request from `branch` of this repository, if any; null without credentials. */
  findOpenPull(repo: string, branch: string): Promise<PullRef | null>;
  /** Null in dry-run. */
  createPull(repo: string, pull: { title: string; head: string; base: string; body: string }): Promise<PullRef | null>;
  updatePull(repo: string, number: number, changes: { title?: string; body?: string }): Promise<void>;
  /** Issues and pull requests matching a search query (first 30, newest first); [] without credentials. The index lags a few seconds. */
  searchIssues(query: string): Promise<SearchHit[]>;
  /**
   * A discussion (GraphQL), with its first 100 comments; given a comment's node id, with that
   * comment's thread too, wherever it is in the discussion.
   */
  getDiscussion(repo: string, number: number, aroundComment?: string | null): Promise<DiscussionState | null>;
  /**
   * GraphQL `addDiscussionComment`: with `replyToId` (a top-level comment's node id) a reply
   * in that comment's thread. The new comment's node id; null in dry-run.
   */
  addDiscussionComment(discussionId: string, body: string, replyToId: string | null): Promise<string | null>;
  /** GraphQL `updateDiscussionComment`. */
  updateDiscussionComment(commentId: string, body: string): Promise<void>;
  /**
   * The token git may fetch and push this task's repository with (the installation token, or
   * GITHUB_TOKEN); null without credentials. Only for the one git command that needs it.
   */
  gitToken(): Promise<string | null>;
  /**
   * The same client without the task's abort signal: for the few writes that tell an issue a
   * run it was told of was cancelled (the signal refuses every request once it fired).
   */
  detached(): GithubClient;
}

export interface GithubClientOptions {
  octokit: Octokit | null;
  dryRun: boolean;
  /** Where each write is recorded: the worker keeps them and stores them with the task's outcome. */
  record: (action: GithubActionRecord) => void;
  logger: Logger;
  pace: WritePacer;
  paceKey: string;
  agent: string;
  task: string | null;
  /** The task's abort signal: no request starts once it fired, and one in flight is cancelled. */
  signal?: AbortSignal;
  now?: () => number;
}

type Params = Record<string, unknown>;
type Items<T> = T extends { response: { data: (infer I)[] } } ? I : never;
type Rest = RestEndpointMethodTypes;

/** How long a GraphQL rate limit is waited out when GitHub's answer gives no reset time. */
const GRAPHQL_RATE_LIMIT_WAIT_MS = 60_000;

export function createGithubClient(options: GithubClientOptions): GithubClient {
  const { octokit, dryRun, record, logger, pace, paceKey, agent, task, signal } = options;
  const now = options.now ?? Date.now;
  // Octokit hands `request.signal` to fetch: an abort cancels the request in flight.
  const withSignal = <P extends Params>(params: P): P => (signal ? { ...params, request: { signal } } : params);

  /**
   * Every page of a list. Octokit's paginate passes request options (the signal) to the
   * first page only, so the pages are requested through a request function that carries the
   * signal itself: an abort cancels whichever page is in flight.
   */
  async function readAll<T>(client: Octokit, route: string, params: Params): Promise<T[]> {
    const [method, url] = route.split(" ");
    const request = signal ? client.request.defaults({ request: { signal } }) : client.request;
    // Typed by the caller: the route is not a literal here.
    const paginate = client.paginate as unknown as (request: Octokit["request"], parameters: Params) => Promise<unknown[]>;
    return (await paginate(request, { method, url, ...params })) as T[];
  }

  /** With `shape`, the answer must be an object with those fields (answerShape): its fields are read at once. */
  async function read<T>(route: string, params: Params, shape?: Record<string, FieldKind>): Promise<T | null> {
    const answer = await readWithHeaders(route, params);
    if (answer === null) return null;
    return shape ? answerShape<T>(callOf(octokit!, route, params), answer.data, shape) : (answer.data as T);
  }

  /** A read with the answer's headers (GraphQL tells its rate limit in a 200's body, its reset in the headers); null without credentials. */
  async function readWithHeaders(route: string, params: Params): Promise<{ data: unknown; headers: Record<string, unknown> } | null> {
    if (!octokit) return null;
    signal?.throwIfAborted();
    const response = await octokit.request(route, withSignal(params));
    return { data: response.data, headers: response.headers };
  }

  async function write<T>(route: string, params: Params): Promise<T | null> {
    return ((await writeWithHeaders(route, params))?.data ?? null) as T | null;
  }

  async function writeWithHeaders(route: string, params: Params): Promise<{ data: unknown; headers: Record<string, unknown> } | null> {
    const [method = "POST", path = route] = route.split(" ");
    const action = { agent, task, method, route: path, body: params, dryRun, at: now() };
    if (dryRun || !octokit) {
      record({ ...action, dryRun: true });
      logger.info({ method, route: path }, "dry-run: GitHub write recorded, not sent");
      return null;
    }
    signal?.throwIfAborted();
    // Checked again after the wait in the pacer: a write queued before an abort is not sent after it.
    const response = await pace(paceKey, () => {
      signal?.throwIfAborted();
      return octokit.request(route, withSignal(params));
    });
    record(action);
    return { data: response.data, headers: response.headers };
  }

  /**
   * GraphQL over `POST /graphql`, so a mutation is recorded (method, route, {query,
   * variables}) and paced like any REST write. GraphQL answers errors with a 200: they are
   * thrown here, with GitHub's messages.
   */
  async function graphql<T>(what: string, query: string, variables: Params, mutation: boolean): Promise<T | null> {
    const params = { query, variables };
    const answer = mutation ? await writeWithHeaders("POST /graphql", params) : await readWithHeaders("POST /graphql", params);
    const data = answer?.data as { data?: T; errors?: { type?: string; message: string }[] } | null | undefined;
    if (data?.errors?.length) {
      const message = `GitHub GraphQL: ${data.errors.map((e) => e.message).join("; ")}`;
      // A rate limit comes as a 200 with RATE_LIMITED: retried when the limit resets, as a REST call's 403 is.
      if (data.errors.some((e) => e.type === "RATE_LIMITED")) {
        const reset = String(answer?.headers["x-ratelimit-reset"] ?? "");
        const retryAfterMs = /^\d+$/.test(reset) ? Math.max(0, Number(reset) * 1000 - now()) : GRAPHQL_RATE_LIMIT_WAIT_MS;
        throw new TransientError(`POST /graphql: rate limited (RATE_LIMITED): ${message}`, { retryAfterMs });
      }
      // Every GraphQL call here is a discussion's: a refusal is the token's missing permission.
      const forbidden = data.errors.some((e) => e.type === "FORBIDDEN")
        ? " (the token may not use discussions: a GitHub App needs the Discussions permission, read and write; a workflow's GITHUB_TOKEN needs permissions: discussions: write)"
        : "";
      throw new Error(`POST /graphql (${what}): ${message}${forbidden}`);
    }
    return data?.data ?? null;
  }

  return {
    dryRun: dryRun || !octokit,
    canRead: octokit !== null,

    async searchIssues(query) {
      const data = await read<Rest["search"]["issuesAndPullRequests"]["response"]["data"]>("GET /search/issues", { q: query, sort: "created", order: "desc", per_page: 30 }, { items: "array" });
      return (data?.items ?? []).map((i) => ({ number: i.number, title: i.title, state: i.state, labels: i.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))), user: i.user?.login ?? null, body: i.body ?? null }));
    },

    async getDiscussion(repo, number, aroundComment) {
      const { owner, repo: name } = repoRef(repo);
      if (aroundComment) return discussionFrom(await graphql<DiscussionQueryData>("the discussion", DISCUSSION_AROUND_COMMENT_QUERY, { owner, name, number, comment: aroundComment }, false));
      return discussionFrom(await graphql<DiscussionQueryData>("the discussion", DISCUSSION_QUERY, { owner, name, number }, false));
    },

    async addDiscussionComment(discussionId, body, replyToId) {
      const data = await graphql<{ addDiscussionComment: { comment: { id: string } } }>("addDiscussionComment", ADD_DISCUSSION_COMMENT, { discussionId, body, replyToId }, true);
      return data?.addDiscussionComment.comment.id ?? null;
    },

    async updateDiscussionComment(commentId, body) {
      await graphql("updateDiscussionComment", UPDATE_DISCUSSION_COMMENT, { commentId, body }, true);
    },

    async getIssue(repo, number) {
      const data = await read<{ number: number; title: string; body: string | null; state: string; labels: ({ name?: string } | string)[]; pull_request?: unknown; user: { login: string } | null }>(
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        { ...repoRef(repo), issue_number: number },
        { number: "number", title: "string", labels: "array" },
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
      const comments = await readAll<Items<Rest["issues"]["listComments"]>>(octokit, "GET /repos/{owner}/{repo}/issues/{issue_number}/comments", ({ ...repoRef(repo), issue_number: number, per_page: 100 }));
      return comments.map((c) => ({ id: c.id, body: c.body ?? "", user: c.user?.login ?? null, url: c.html_url }));
    },

    async getPermission(repo, login) {
      const data = await read<{ permission: string }>("GET /repos/{owner}/{repo}/collaborators/{username}/permission", { ...repoRef(repo), username: login });
      return data?.permission ?? null;
    },

    async listRepoLabels(repo) {
      if (!octokit) return null;
      const labels = await readAll<Items<Rest["issues"]["listLabelsForRepo"]>>(octokit, "GET /repos/{owner}/{repo}/labels", ({ ...repoRef(repo), per_page: 100 }));
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

    async createIssue(repo, issue) {
      const data = await write<{ number: number }>("POST /repos/{owner}/{repo}/issues", { ...repoRef(repo), ...issue });
      return data?.number ?? null;
    },

    async updateIssue(repo, number, changes) {
      await write("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...repoRef(repo), issue_number: number, ...changes });
    },

    async listOpenIssuesWithLabel(repo, label) {
      if (!octokit) return [];
      const issues = await readAll<Items<Rest["issues"]["listForRepo"]>>(octokit, "GET /repos/{owner}/{repo}/issues", ({ ...repoRef(repo), labels: label, state: "open", per_page: 100 }));
      return issues
        .filter((i) => !i.pull_request)
        .map((i) => ({ number: i.number, title: i.title, state: i.state, labels: i.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))), user: i.user?.login ?? null }));
    },

    async getPull(repo, number) {
      const data = await read<{
        number: number;
        title: string;
        body: string | null;
        draft?: boolean;
        state: string;
        merged: boolean;
        head: { sha: string; ref: string };
        base: { ref: string };
        user: { login: string } | null;
      }>("GET /repos/{owner}/{repo}/pulls/{pull_number}", { ...repoRef(repo), pull_number: number }, { number: "number", title: "string", head: "object", base: "object" });
      if (!data) return null;
      return {
        number: data.number,
        title: data.title,
        body: data.body ?? "",
        draft: data.draft === true,
        state: data.state,
        merged: data.merged === true,
        headSha: data.head.sha,
        headRef: data.head.ref,
        baseRef: data.base.ref,
        user: data.user?.login ?? null,
      };
    },

    async listPullFiles(repo, number) {
      if (!octokit) return null;
      const files = await readAll<Items<Rest["pulls"]["listFiles"]>>(octokit, "GET /repos/{owner}/{repo}/pulls/{pull_number}/files", ({ ...repoRef(repo), pull_number: number, per_page: 100 }));
      return files.map((f) => ({ filename: f.filename, status: f.status, additions: f.additions, deletions: f.deletions, changes: f.changes, patch: f.patch ?? null }));
    },

    async requestReviewers(repo, number, reviewers) {
      if (reviewers.length === 0) return;
      await write("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", { ...repoRef(repo), pull_number: number, reviewers });
    },

    async createStatus(repo, sha, status) {
      await write("POST /repos/{owner}/{repo}/statuses/{sha}", { ...repoRef(repo), sha, ...status });
    },

    async listDeployments(repo, filter) {
      if (!octokit) return null;
      const rows = await readAll<Items<Rest["repos"]["listDeployments"]>>(octokit, "GET /repos/{owner}/{repo}/deployments", ({ ...repoRef(repo), ...filter, per_page: 100 }));
      return rows.map((d) => ({ id: d.id, sha: d.sha, ref: d.ref, environment: d.environment, createdAt: d.created_at }));
    },

    async latestDeploymentStatus(repo, deploymentId) {
      const data = await read<{ state: string }[]>("GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repoRef(repo), deployment_id: deploymentId, per_page: 1 });
      return data?.[0]?.state ?? null;
    },

    async createDeployment(repo, deployment) {
      // required_contexts: [] — switchyard deploys what the rules say; commit checks are the review's job.
      const data = await write<{ id: number }>("POST /repos/{owner}/{repo}/deployments", { ...repoRef(repo), auto_merge: false, required_contexts: [], ...deployment });
      return data?.id ?? null;
    },

    async createDeploymentStatus(repo, deploymentId, status) {
      await write("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { ...repoRef(repo), deployment_id: deploymentId, ...status });
    },

    async dispatchWorkflow(repo, workflow, ref, inputs) {
      await write("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", { ...repoRef(repo), workflow_id: workflow, ref, inputs });
    },

    async getRefSha(repo, ref) {
      // The combined status names the commit the ref resolves to, and per_page=1 keeps the answer small.
      // https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference
      const data = await read<{ sha: string }>("GET /repos/{owner}/{repo}/commits/{ref}/status", { ...repoRef(repo), ref, per_page: 1 });
      return data?.sha ?? null;
    },

    async findOpenPull(repo, branch) {
      // `head` is `owner:branch`: https://docs.github.com/rest/pulls/pulls#list-pull-requests
      const ref = repoRef(repo);
      const data = await read<Rest["pulls"]["list"]["response"]["data"]>("GET /repos/{owner}/{repo}/pulls", { ...ref, head: `${ref.owner}:${branch}`, state: "open", per_page: 10 });
      const pull = data?.find((p) => p.head.ref === branch);
      return pull ? { number: pull.number, url: pull.html_url } : null;
    },

    async createPull(repo, pull) {
      const data = await write<{ number: number; html_url: string }>("POST /repos/{owner}/{repo}/pulls", { ...repoRef(repo), ...pull });
      return data ? { number: data.number, url: data.html_url } : null;
    },

    async updatePull(repo, number, changes) {
      await write("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", { ...repoRef(repo), pull_number: number, ...changes });
    },

    async gitToken() {
      if (!octokit) return null;
      // Token auth answers with the token; App auth mints (or reuses) the installation's token.
      const auth = (await octokit.auth({ type: "installation" })) as { token?: string };
      return auth.token ?? null;
    },

    detached: () => createGithubClient({ ...options, signal: undefined }),
  };
}

/** "GET /repos/o/r/issues/1": the call as sent, its path without the query string. */
function callOf(octokit: Octokit, route: string, params: Params): string {
  const { method, url, body } = octokit.request.endpoint.parse(octokit.request.endpoint.merge(route, params));
  return requestLine(method, url, body) ?? method;
}
