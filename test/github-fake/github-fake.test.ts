import { generateKeyPairSync } from "node:crypto";
import { createAppAuth } from "@octokit/auth-app";
import { RequestError } from "@octokit/request-error";
import { Octokit } from "@octokit/rest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { secondaryRateLimit, startGithubFake } from "../support/github-fake/index.js";
import type { GithubFake } from "../support/github-fake/index.js";

const owner = "Codertocat";
const repo = "Hello-World";
const full = `${owner}/${repo}`;

let fake: GithubFake;
let octokit: Octokit;
/** Octokit logs every 4xx/5xx; the tests below expect many. */
const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

beforeEach(async () => {
  fake = await startGithubFake();
  octokit = new Octokit({ auth: "t", baseUrl: fake.url, log });
});

afterEach(async () => {
  expect(fake.unknownRoutes).toEqual([]);
  await fake.close();
});

/** The RequestError a call rejects with, to assert on its status and body. */
async function failure(call: Promise<unknown>): Promise<RequestError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RequestError);
  return error as RequestError;
}

describe("github fake: issues and labels", () => {
  it("seeds from an issues.opened payload and serves the issue back", async () => {
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    const { data } = await octokit.rest.issues.get({ owner, repo, issue_number: payload.issue.number });
    expect(data).toMatchObject({ number: 1, title: payload.issue.title, state: "open", user: { login: "Codertocat", type: "User" } });
    expect(data.labels).toMatchObject([{ name: "bug", color: "d73a4a" }]);
    expect(fake.requests.at(-1)).toMatchObject({ method: "GET", path: `/repos/${full}/issues/1`, status: 200, authorization: "token t" });
    expect(fake.writes).toEqual([]);
  });

  it("seeds a comment with its author's type, and a pull request with its head", async () => {
    const payload = exampleOf("issue_comment", "created");
    payload.comment.user.login = "renovate[bot]";
    payload.comment.user.type = "Bot";
    fake.seedFromPayload("issue_comment", payload);
    const { data } = await octokit.rest.issues.getComment({ owner, repo, comment_id: payload.comment.id });
    expect(data).toMatchObject({ body: payload.comment.body, user: { login: "renovate[bot]", type: "Bot" } });
    expect(fake.repo(full).comments(payload.issue.number)).toHaveLength(1);

    const opened = exampleOf("pull_request", "opened");
    fake.seedFromPayload("pull_request", opened);
    const pull = await octokit.rest.pulls.get({ owner, repo, pull_number: opened.number });
    expect(pull.data.head).toMatchObject({ ref: opened.pull_request.head.ref, sha: opened.pull_request.head.sha });
    const issue = await octokit.rest.issues.get({ owner, repo, issue_number: opened.number });
    expect(issue.data.pull_request).toBeDefined();
  });

  it("adds labels (creating unknown ones) and answers with the issue's whole list", async () => {
    fake.seedFromPayload("issues", exampleOf("issues", "opened"));
    const added = await octokit.rest.issues.addLabels({ owner, repo, issue_number: 1, labels: ["type:bug", "bug"] });
    expect(added.status).toBe(200);
    expect(added.data.map((l) => l.name)).toEqual(["bug", "type:bug"]);
    const listed = await octokit.rest.issues.listLabelsOnIssue({ owner, repo, issue_number: 1 });
    expect(listed.data.map((l) => l.name)).toEqual(["bug", "type:bug"]);
    expect(fake.repo(full).labels.map((l) => l.name)).toContain("type:bug");

    const removed = await octokit.rest.issues.removeLabel({ owner, repo, issue_number: 1, name: "type:bug" });
    expect(removed.data.map((l) => l.name)).toEqual(["bug"]);
    const again = await failure(octokit.rest.issues.removeLabel({ owner, repo, issue_number: 1, name: "type:bug" }));
    expect(again.status).toBe(404);
  });

  it("refuses to create a label twice with GitHub's 422", async () => {
    fake.repo(full);
    const created = await octokit.rest.issues.createLabel({ owner, repo, name: "guardian:escalation", color: "b60205" });
    expect(created.status).toBe(201);
    const error = await failure(octokit.rest.issues.createLabel({ owner, repo, name: "Guardian:Escalation", color: "b60205" }));
    expect(error.status).toBe(422);
    expect(error.response?.data).toMatchObject({ message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] });
  });

  it("answers 404 Not Found for an unknown issue or repository", async () => {
    fake.repo(full);
    const unknownIssue = await failure(octokit.rest.issues.get({ owner, repo, issue_number: 99 }));
    expect(unknownIssue.status).toBe(404);
    expect(unknownIssue.response?.data).toMatchObject({ message: "Not Found" });
    const unknownRepo = await failure(octokit.rest.issues.get({ owner, repo: "nope", issue_number: 1 }));
    expect(unknownRepo.status).toBe(404);
  });

  it("flags routes it does not know", async () => {
    await failure(octokit.request("GET /repos/{owner}/{repo}/git/trees/{sha}", { owner, repo, sha: "main" }));
    expect(fake.unknownRoutes).toMatchObject([{ method: "GET", status: 404, unknown: true }]);
    fake.clearRequests();
  });
});

describe("github fake: comments and reactions", () => {
  it("paginates comments with a Link header that octokit.paginate follows", async () => {
    const handle = fake.repo(full);
    handle.addIssue({ number: 3, title: "many comments" });
    for (let i = 1; i <= 65; i++) handle.addComment(3, `comment ${i}`);
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: 3, per_page: 30 });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 65 }, (_, i) => `comment ${i + 1}`));
    expect(fake.requests.map((r) => r.query.page ?? "1")).toEqual(["1", "2", "3"]);
    const first = await octokit.rest.issues.listComments({ owner, repo, issue_number: 3, per_page: 30 });
    expect(first.headers.link).toMatch(/[?&]page=2>; rel="next"/);
  });

  it("edits a comment in place rather than adding one", async () => {
    const handle = fake.repo(full);
    handle.addIssue({ number: 1, title: "t" });
    const created = await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: "<!-- switchyard --> routed: 1" });
    expect(created.status).toBe(201);
    expect(created.data.user).toMatchObject({ login: "switchyard-test" });
    await octokit.rest.issues.updateComment({ owner, repo, comment_id: created.data.id, body: "<!-- switchyard --> routed: 2" });
    expect(handle.comments(1)).toMatchObject([{ id: created.data.id, body: "<!-- switchyard --> routed: 2" }]);
    expect(fake.writes.map((r) => r.method)).toEqual(["POST", "PATCH"]);
  });

  it("answers a new reaction 201 and the same one again 200", async () => {
    const handle = fake.repo(full);
    handle.addIssue({ number: 1, title: "t" });
    const comment = handle.addComment(1, { body: "/agent help", user: "octocat" });
    const first = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: comment.id, content: "eyes" });
    const second = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: comment.id, content: "eyes" });
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.data.id).toBe(first.data.id);
    expect((await octokit.rest.reactions.createForIssue({ owner, repo, issue_number: 1, content: "rocket" })).status).toBe(201);
    expect(handle.reactions).toMatchObject([{ subject: "comment", subject_id: comment.id, content: "eyes" }, { subject: "issue", subject_id: 1, content: "rocket" }]);
  });
});

describe("github fake: permissions, pulls, statuses", () => {
  it("reports permission with GitHub's legacy mapping, owner admin and unknown users none", async () => {
    const handle = fake.repo(full);
    handle.setPermission("maintainer", "maintain");
    const get = (username: string) => octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    expect((await get("maintainer")).data).toMatchObject({ permission: "write", role_name: "maintain", user: { login: "maintainer" } });
    expect((await get("Codertocat")).data).toMatchObject({ permission: "admin", role_name: "admin" });
    expect((await get("stranger")).data).toMatchObject({ permission: "none", role_name: "none" });
  });

  it("serves a pull request's files, paginated, and records requested reviewers", async () => {
    const handle = fake.repo(full);
    const files = Array.from({ length: 35 }, (_, i) => ({ filename: `src/f${i}.ts`, status: "modified" as const, additions: 2, deletions: 1, changes: 3, patch: "@@ -1 +1,2 @@\n+x" }));
    const pr = handle.addPull({ number: 5, title: "feat: x", user: "octocat" }, files);
    const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: 5 });
    expect(data).toMatchObject({ number: 5, draft: false, head: { sha: pr.head.sha }, additions: 70, changed_files: 35 });
    const listed = await octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo, pull_number: 5 });
    expect(listed.map((f) => f.filename)).toEqual(files.map((f) => f.filename));

    handle.setPermission("reviewer", "write");
    await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: 5, reviewers: ["reviewer"] });
    expect(handle.reviewRequests(5)).toEqual(["reviewer"]);
    const own = await failure(octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: 5, reviewers: ["octocat"] }));
    expect(own.status).toBe(422);
  });

  it("stores commit statuses by sha and lists them by sha or branch, newest first", async () => {
    const handle = fake.repo(full);
    const pr = handle.addPull({ number: 2, title: "t" });
    await octokit.rest.repos.createCommitStatus({ owner, repo, sha: pr.head.sha, state: "pending", context: "switchyard/review" });
    await octokit.rest.repos.createCommitStatus({ owner, repo, sha: pr.head.sha, state: "success", context: "switchyard/review", description: "ok" });
    expect(handle.statuses(pr.head.sha).map((s) => s.state)).toEqual(["pending", "success"]);
    const byBranch = await octokit.rest.repos.listCommitStatusesForRef({ owner, repo, ref: pr.head.ref });
    expect(byBranch.data.map((s) => s.state)).toEqual(["success", "pending"]);
  });
});

describe("github fake: deployments and workflows", () => {
  it("filters deployments by sha, newest first, and refuses one whose statuses failed", async () => {
    const handle = fake.repo(full);
    const a = "a".repeat(40);
    const b = "b".repeat(40);
    handle.addDeployment({ sha: a, statuses: ["success"] });
    await octokit.rest.repos.createDeployment({ owner, repo, ref: b, environment: "staging", required_contexts: [] });
    const second = await octokit.rest.repos.createDeployment({ owner, repo, ref: b, environment: "production", required_contexts: [] });
    expect(second.status).toBe(201);
    const forB = await octokit.rest.repos.listDeployments({ owner, repo, sha: b });
    expect(forB.data.map((d) => d.environment)).toEqual(["production", "staging"]);

    handle.addStatus(a, { state: "failure", context: "ci" });
    const refused = await failure(octokit.rest.repos.createDeployment({ owner, repo, ref: a }));
    expect(refused.status).toBe(409);

    const id = "id" in second.data ? second.data.id : 0;
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: "success" });
    expect(handle.deploymentStatuses(id).map((s) => s.state)).toEqual(["success"]);
  });

  it("dispatches a workflow with declared string inputs and refuses anything else with 422", async () => {
    const handle = fake.repo(full);
    handle.addWorkflow({ file: "agent-runner.yml", inputs: ["agent", "task_id"] });
    const ok = await octokit.rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: "agent-runner.yml", ref: "main", inputs: { agent: "ReviewAgent", task_id: "7" } });
    expect(ok.status).toBe(204);
    expect(handle.dispatches).toMatchObject([{ ref: "main", inputs: { agent: "ReviewAgent", task_id: "7" }, workflow_path: ".github/workflows/agent-runner.yml" }]);

    const undeclared = await failure(octokit.rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: "agent-runner.yml", ref: "main", inputs: { extra: "x" } }));
    expect(undeclared.status).toBe(422);
    expect(undeclared.response?.data).toMatchObject({ message: 'Unexpected inputs provided: ["extra"]' });
    const notString = await failure(octokit.rest.actions.createWorkflowDispatch({ owner, repo, workflow_id: "agent-runner.yml", ref: "main", inputs: { task_id: 7 } }));
    expect(notString.status).toBe(422);
    expect(handle.dispatches).toHaveLength(1);
    const listed = await octokit.rest.actions.listRepoWorkflows({ owner, repo });
    expect(listed.data.workflows).toMatchObject([{ path: ".github/workflows/agent-runner.yml", state: "active" }]);
  });
});

describe("github fake: search", () => {
  it("finds the open escalation issue by label and title", async () => {
    const handle = fake.repo(full);
    handle.addIssue({ title: "Workflow CI is failing", labels: ["guardian:escalation"], state: "closed" });
    handle.addIssue({ title: "Workflow CI is failing", labels: ["guardian:escalation"] });
    handle.addIssue({ title: "Workflow Deploy is failing", labels: ["guardian:escalation"] });
    handle.addIssue({ title: "Workflow CI is failing", labels: ["bug"] });
    const q = `repo:${full} is:issue is:open label:"guardian:escalation" in:title "Workflow CI"`;
    const { data } = await octokit.rest.search.issuesAndPullRequests({ q });
    expect(data.items.map((i) => i.number)).toEqual([2]);
    expect(data.total_count).toBe(1);
    const unqualified = await failure(octokit.rest.search.issuesAndPullRequests({ q: `repo:${full} CI` }));
    expect(unqualified.status).toBe(422);
  });
});

describe("github fake: faults and auth", () => {
  it("fails the next request with 502, then answers normally", async () => {
    fake.repo(full).addIssue({ number: 1, title: "t" });
    fake.failNext({ method: "GET", path: `/repos/${full}/issues/1`, status: 502 });
    expect((await failure(octokit.rest.issues.get({ owner, repo, issue_number: 1 }))).status).toBe(502);
    expect((await octokit.rest.issues.get({ owner, repo, issue_number: 1 })).status).toBe(200);
    expect(fake.requests.map((r) => [r.status, r.fault])).toEqual([[502, true], [200, false]]);
  });

  it("carries retry-after on 429 and on a secondary rate limit", async () => {
    fake.repo(full).addIssue({ number: 1, title: "t" });
    fake.failNext({ path: /\/comments$/, status: 429, headers: { "retry-after": "2" } });
    const limited = await failure(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: "x" }));
    expect(limited.status).toBe(429);
    expect(limited.response?.headers["retry-after"]).toBe("2");

    fake.failAlways({ method: "POST", path: /\/comments$/, ...secondaryRateLimit(60) });
    for (let i = 0; i < 2; i++) {
      const secondary = await failure(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: "x" }));
      expect(secondary.status).toBe(403);
      expect(secondary.message).toMatch(/secondary rate limit/);
      expect(secondary.response?.headers["retry-after"]).toBe("60");
    }
    fake.clearFaults();
    expect((await octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: "x" })).status).toBe(201);
    expect(fake.repo(full).comments(1)).toHaveLength(1);
  });

  it("works with GitHub App auth: JWT for /app, an installation token acting as the bot", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const app = new Octokit({ log, baseUrl: fake.url, authStrategy: createAppAuth, auth: { appId: 1, privateKey, installationId: 42 } });
    const me = await app.rest.apps.getAuthenticated();
    expect(me.data).toMatchObject({ slug: "switchyard" });
    fake.repo(full).addIssue({ number: 1, title: "t" });
    const comment = await app.rest.issues.createComment({ owner, repo, issue_number: 1, body: "hi" });
    expect(comment.data.user).toMatchObject({ login: "switchyard[bot]", type: "Bot" });
    const write = fake.writes.at(-1);
    expect(write?.authorization).toMatch(/^token ghs_/);
    expect(fake.requests.find((r) => r.path === "/app/installations/42/access_tokens")?.authorization).toMatch(/^bearer \S+\.\S+\.\S+$/);
    expect((await failure(app.rest.users.getAuthenticated())).status).toBe(403);
  });
});
