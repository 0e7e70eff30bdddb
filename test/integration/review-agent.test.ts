import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AgentContext } from "../../src/agents/agent.js";
import { REVIEW_MARKER } from "../../src/agents/builtin/review-agent/render-review.js";
import { describeReview, REVIEW_STATUS_CONTEXT, reviewAgent, reviewPullRequest } from "../../src/agents/builtin/review-agent/review-agent.js";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import { parseConfig } from "../../src/config/load-config.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { createGithubClient } from "../../src/github/github-client.js";
import { createWritePacer } from "../../src/github/write-pacer.js";
import { createLogger } from "../../src/observability/logger.js";
import { createAgentStore } from "../../src/queue/create-agent-store.js";
import type { ClaimedTask } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { fakeSha, startGithubFake, type FakePullFile, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { deliverAndSettle as settle } from "../support/deliver-and-settle.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

// Assembled at run time so this file holds no token-shaped literal for scanners to flag.
const AWS_KEY = ["AKIA", "IOSFODNN7", "EXAMPLE"].join("");
const OWNER = "octo-org";
const AUTHOR = "pr-author";

let fake: GithubFake;
let server: TestServer;
let n = 200;

const repoName = () => `${OWNER}/review-${n}`;
const repo = () => fake.repo(repoName());

function file(filename: string, lines: string[], status: FakePullFile["status"] = "added"): FakePullFile {
  const patch = [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
  return { filename, status, additions: lines.length, deletions: 0, changes: lines.length, patch };
}

const lines = (count: number, prefix = "line") => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

interface PrOptions {
  title?: string;
  body?: string;
  draft?: boolean;
  sha?: string;
  labels?: string[];
  files?: FakePullFile[];
}

/** A pull_request.<action> payload for PR #n of a fresh repository; the fake is seeded with it and its files. */
function prEvent(action: string, options: PrOptions = {}): Payload {
  const payload = exampleOf("pull_request", "opened") as unknown as Payload;
  const [owner, name] = repoName().split("/");
  payload.action = action;
  payload.number = n;
  Object.assign(payload.repository, { full_name: repoName(), name });
  payload.repository.owner.login = owner;
  const pr = payload.pull_request;
  pr.number = n;
  pr.title = options.title ?? "feat(config): read the region from the environment";
  pr.body = options.body ?? "Reads AWS_REGION instead of hard-coding it.";
  pr.draft = options.draft ?? false;
  pr.user = { ...pr.user, login: AUTHOR, type: "User" };
  pr.head.sha = options.sha ?? fakeSha(`${repoName()}#${n}`);
  pr.labels = (options.labels ?? []).map((label, i) => ({ id: i + 1, name: label, color: "ededed", default: false, description: null }));
  if (action === "synchronize") payload.after = pr.head.sha;
  payload.sender = { ...payload.sender, login: AUTHOR, type: "User" };
  repo().addPull({ number: n }, options.files ?? []);
  fake.seedFromPayload("pull_request", payload);
  return payload;
}

const deliverAndSettle = settle;

const reviewComments = () => repo().comments(n).filter((c) => c.body.includes(REVIEW_MARKER));
const reviewStatuses = (sha: string) => repo().statuses(sha).filter((s) => s.context === REVIEW_STATUS_CONTEXT);

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  server = await startTestServer(
    {
      github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 },
      // The routing comment is another feature's: off, so every write here is the review's.
      comments: "off",
      review: { reviewers: ["alice", "bob", AUTHOR] },
      retry: { maxRetries: 2, initialDelayMs: 50, maxDelayMs: 200 },
    },
    undefined,
    { agents: [reviewAgent], pollMs: 100 },
  );
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});
beforeEach(() => {
  n++;
  fake.clearFaults();
  fake.clearRequests();
});

describe("ReviewAgent on pull_request events", () => {
  it("reviews an opened PR: reads its files, labels its size, comments once and sets a success status", async () => {
    const payload = prEvent("opened", { files: [file("src/region.ts", lines(30)), file("test/region.test.ts", lines(20))] });
    const [task] = await deliverAndSettle(server, "pull_request", payload);
    expect(task).toMatchObject({ agent: "ReviewAgent", status: "succeeded" });
    expect(fake.requests.some((r) => r.method === "GET" && r.path === `/repos/${repoName()}/pulls/${n}/files`)).toBe(true);

    const [comment, ...more] = reviewComments();
    expect(more).toEqual([]);
    expect(comment!.body.startsWith(`${OWN_MARKER}\n${REVIEW_MARKER}`)).toBe(true);
    expect(comment!.body).toContain("✅ no blocking findings");

    const [status] = reviewStatuses(payload.pull_request.head.sha);
    expect(status).toMatchObject({ state: "success", description: "All checks passed" });
    expect(repo().issue(n)!.labels).toEqual(["size/S"]);
    expect(repo().labels.find((l) => l.name === "size/S")?.color).toBe("5d9801");
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("flags a planted AWS key on its line, masked, and fails the status", async () => {
    const config = file("src/config.ts", ["export const config = {", '  region: "eu-west-1",', `  accessKeyId: "${AWS_KEY}",`, "};"]);
    const payload = prEvent("opened", { files: [config, file("test/config.test.ts", lines(3))] });
    const [task] = await deliverAndSettle(server, "pull_request", payload);
    expect(task!.status).toBe("succeeded");
    const [status] = reviewStatuses(payload.pull_request.head.sha);
    expect(status).toMatchObject({ state: "failure", description: "1 likely secret in added lines" });
    const body = reviewComments()[0]!.body;
    expect(body).toContain("` src/config.ts:3 `: AWS access key id ` AKIA******** `");
    // The key must not leak again: not in the comment, the status, the task's output or any request.
    expect(body).not.toContain(AWS_KEY);
    expect(JSON.stringify(fake.writes)).not.toContain(AWS_KEY);
    expect((await server.store.getTask(task!.id))!.attemptLog.map((a) => JSON.stringify(a)).join()).not.toContain(AWS_KEY);
  });

  it("updates the same review comment on synchronize, replacing only its own size label", async () => {
    const first = prEvent("opened", { title: "Add region support", files: [file("src/region.ts", lines(30))] });
    await deliverAndSettle(server, "pull_request", first);
    const [created] = reviewComments();
    expect(created!.body).toContain("not a Conventional Commits title");
    expect(repo().issue(n)!.labels).toEqual(["size/S"]);

    fake.clearRequests();
    const sha = fakeSha(`${repoName()}#${n}:2`);
    const labels = [...repo().issue(n)!.labels, "needs-docs"];
    const pushed = prEvent("synchronize", { title: "Add region support", sha, labels, files: [file("src/region.ts", lines(600)), file("test/region.test.ts", lines(10))] });
    const [task] = await deliverAndSettle(server, "pull_request", pushed);
    expect(task!.status).toBe("succeeded");

    const after = reviewComments();
    expect(after.map((c) => c.id)).toEqual([created!.id]);
    expect(after[0]!.body).toContain("size/L");
    expect(after[0]!.body).toContain("Checked `" + sha.slice(0, 7) + "`");
    expect(fake.requests.some((r) => r.method === "PATCH" && r.path === `/repos/${repoName()}/issues/comments/${created!.id}`)).toBe(true);
    expect(fake.writes.some((r) => r.method === "POST" && r.path.endsWith(`/issues/${n}/comments`))).toBe(false);
    expect([...repo().issue(n)!.labels].sort()).toEqual(["needs-docs", "size/L"]);
    expect(reviewStatuses(sha)).toHaveLength(1);
  });

  it("does nothing for a draft PR: not routed on opened, and the agent itself skips it", async () => {
    const opened = prEvent("opened", { draft: true, files: [file("src/a.ts", lines(5))] });
    const res = await server.deliver("pull_request", opened);
    expect(res.status).toBe(202);
    expect(res.body.routed).toEqual([]);

    // review_requested is routed whatever the draft state: the agent must skip it itself.
    const requested = prEvent("review_requested", { draft: true, files: [file("src/a.ts", lines(5))] });
    const [task] = await deliverAndSettle(server, "pull_request", requested);
    expect(task).toMatchObject({ agent: "ReviewAgent", status: "succeeded" });
    expect((await server.store.getTask(task!.id))!.attemptLog.at(-1)!.output).toMatch(/draft/);
    expect(fake.writes).toEqual([]);
    expect(reviewComments()).toEqual([]);
  });

  it("on ready_for_review reviews and requests the configured reviewers, except the author", async () => {
    prEvent("opened", { draft: true, files: [file("docs/guide.md", lines(12))] });
    for (const login of ["alice", "bob"]) repo().setPermission(login, "write");
    const ready = prEvent("ready_for_review", { files: [file("docs/guide.md", lines(12))], title: "docs: a guide" });
    const [task] = await deliverAndSettle(server, "pull_request", ready);
    expect(task!.status).toBe("succeeded");
    expect(repo().reviewRequests(n)).toEqual(["alice", "bob"]);
    expect(reviewComments()).toHaveLength(1);
    expect(reviewStatuses(ready.pull_request.head.sha)[0]?.state).toBe("success");
    expect((await server.store.getTask(task!.id))!.attemptLog.at(-1)!.output).toContain("requested reviewers: alice, bob");
  });

  it("skips a review_requested that switchyard itself made (its ready_for_review run already reviewed)", async () => {
    const requested = prEvent("review_requested", { files: [file("src/a.ts", lines(5))] });
    requested.sender = { ...requested.sender, login: "switchyard-bot" };
    const [task] = await deliverAndSettle(server, "pull_request", requested);
    expect((await server.store.getTask(task!.id))!.attemptLog.at(-1)!.output).toMatch(/requested by switchyard itself/);
    expect(fake.writes).toEqual([]);
  });

  it("sends a task to dead with the fix when GitHub refuses a configured reviewer", async () => {
    const ready = prEvent("ready_for_review", { files: [file("README.md", lines(2))], title: "docs: readme" });
    // alice and bob have no access to this repository: GitHub answers 422.
    const [task] = await deliverAndSettle(server, "pull_request", ready);
    expect(task).toMatchObject({ status: "dead", attempts: 1 });
    expect(task!.lastError).toMatch(/^review\.reviewers must be collaborators of octo-org\/review-\d+: GitHub refused to request alice, bob/);
    expect(reviewComments()).toHaveLength(1);
  });

  it("edits only its own review comment: one anyone started with the markers is left alone", async () => {
    const planted = `${OWN_MARKER}\n${REVIEW_MARKER}\n@acme/everyone [login](https://evil.example/login)`;
    const payload = prEvent("opened", { files: [file("src/a.ts", lines(3))] });
    const seeded = repo().addComment(n, { body: planted, user: "mallory" });
    await deliverAndSettle(server, "pull_request", payload);
    const comments = reviewComments();
    expect(comments.find((c) => c.id === seeded.id)!.body).toBe(planted);
    const own = comments.filter((c) => c.user === "switchyard-bot");
    expect(own).toHaveLength(1);
    expect(own[0]!.body).not.toContain("evil.example");
  });

  it("retries a 502 on the files and still leaves one review comment", async () => {
    fake.failNext({ method: "GET", path: new RegExp(`/repos/${repoName()}/pulls/${n}/files`), status: 502, body: { message: "Bad Gateway" } });
    const [task] = await deliverAndSettle(server, "pull_request", prEvent("opened", { files: [file("src/a.ts", lines(3))] }));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(reviewComments()).toHaveLength(1);
  });
});

describe("reviewPullRequest (what /agent review calls)", () => {
  const logger = createLogger("silent");

  /** The context the coordinator has for a `/agent review` comment on PR #n. */
  function commandContext(number: number, isPullRequest = true): AgentContext {
    const payload = exampleOf("issue_comment", "created") as unknown as Payload;
    Object.assign(payload.repository, { full_name: repoName(), name: repoName().split("/")[1] });
    payload.issue = { ...payload.issue, number, title: "whatever the payload says", pull_request: isPullRequest ? { url: "x" } : undefined };
    payload.comment.body = "/agent review";
    const github = createGithubClient({
      octokit: new Octokit({ auth: "test-token", baseUrl: fake.url, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } }), dryRun: false, record: () => undefined, logger,
      pace: createWritePacer(0), paceKey: "token", agent: "CoordinatorAgent", task: null,
    });
    const task = {} as ClaimedTask;
    return {
      task, event: normalizeEvent("issue_comment", payload), payload, logger, store: createAgentStore(server.store, task, Date.now),
      signal: new AbortController().signal, github, config: parseConfig({}).config, ownLogins: ["switchyard-bot"], mode: "server",
    };
  }

  it("reviews the PR from GitHub's state, edits the existing review comment and returns the verdicts", async () => {
    const payload = prEvent("opened", { body: "", files: [file("src/a.ts", lines(120))] });
    await deliverAndSettle(server, "pull_request", payload);
    const [existing] = reviewComments();

    const result = await reviewPullRequest(commandContext(n), n);
    expect(result).toMatchObject({ repo: repoName(), number: n, skipped: null, author: AUTHOR, headSha: payload.pull_request.head.sha, filesRead: true });
    expect(result.comment).toEqual({ id: existing!.id, created: false });
    expect(result.report!.sizeLabel).toBe("size/M");
    expect(result.report!.verdicts.filter((v) => v.level === "warning").map((v) => v.id)).toEqual(["tests", "description"]);
    expect(result.status).toEqual({ state: "success", description: "No blocking findings; 2 warnings: tests, description" });
    expect(describeReview(result)).toBe(`#${n}: success — No blocking findings; 2 warnings: tests, description; size/M; review comment updated`);
    expect(reviewComments()).toHaveLength(1);
    expect(reviewStatuses(payload.pull_request.head.sha)).toHaveLength(2);
  });

  it("/agent review on a pull request runs the review through the coordinator and replies", async () => {
    const payload = prEvent("opened", { files: [file("src/a.ts", lines(12)), file("test/a.test.ts", lines(4))] });
    const comment = exampleOf("issue_comment", "created") as unknown as Payload;
    Object.assign(comment.repository, { full_name: repoName(), name: repoName().split("/")[1] });
    comment.repository.owner.login = OWNER;
    comment.issue = { ...comment.issue, number: n, pull_request: { url: "x" } };
    comment.comment = { ...comment.comment, id: 900_000 + n, body: "/agent review", author_association: "MEMBER" };
    fake.seedFromPayload("issue_comment", comment);
    const [task] = await deliverAndSettle(server, "issue_comment", comment);
    expect(task).toMatchObject({ agent: "CoordinatorAgent", status: "succeeded" });
    expect(reviewComments()).toHaveLength(1);
    expect(reviewStatuses(payload.pull_request.head.sha).at(-1)?.state).toBe("success");
    const reply = repo().comments(n).find((c) => c.body.includes("switchyard:reply"));
    expect(reply?.body).toMatch(new RegExp(`#${n}: success`));
  });

  it("skips an issue that is not a pull request, writing nothing", async () => {
    repo().addIssue({ number: n, title: "An issue" });
    fake.clearRequests();
    const result = await reviewPullRequest(commandContext(n, false), n);
    expect(result.skipped).toBe(`#${n} is not a pull request of ${repoName()}`);
    expect(result.report).toBeNull();
    expect(fake.writes).toEqual([]);
  });
});

describe("dry-run without credentials", () => {
  let dry: TestServer;
  beforeAll(async () => {
    dry = await startTestServer({ github: { apiUrl: fake.url, writeIntervalMs: 0 }, comments: "off" }, undefined, { agents: [reviewAgent], pollMs: 100 });
  });
  afterAll(async () => {
    await dry.stop();
  });

  it("checks title and body from the payload, sizes from its counts, and only records the writes", async () => {
    const payload = prEvent("opened", { title: "update stuff", files: [file("src/a.ts", lines(3))] });
    Object.assign(payload.pull_request, { additions: 40, deletions: 2 });
    fake.clearRequests();
    const [task] = await deliverAndSettle(dry, "pull_request", payload);
    expect(task!.status).toBe("succeeded");
    expect(fake.requests).toEqual([]);
    const actions = await dry.store.listGithubActions({ task: task!.id, limit: 50 });
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.dryRun)).toBe(true);
    const status = actions.find((a) => a.route === "/repos/{owner}/{repo}/statuses/{sha}")!.body as Record<string, string>;
    expect(status).toMatchObject({ sha: payload.pull_request.head.sha, context: REVIEW_STATUS_CONTEXT, state: "success" });
    expect(status.description).toBe("No blocking findings; 1 warning: title; not checked: secrets, tests, large-files");
    const comment = actions.find((a) => a.route === "/repos/{owner}/{repo}/issues/{issue_number}/comments")!.body as { body: string };
    expect(comment.body).toContain("no GitHub credentials to read the changed files");
    const labels = actions.find((a) => a.route === "/repos/{owner}/{repo}/issues/{issue_number}/labels")!.body as { labels: string[] };
    expect(labels.labels).toEqual(["size/S"]);
    expect((await dry.store.getTask(task!.id))!.attemptLog.at(-1)!.output).toContain("files not read (no credentials)");
  });

  it("/agent review on a plain issue says it is not a pull request and records no review", async () => {
    const comment = exampleOf("issue_comment", "created") as unknown as Payload;
    delete (comment.issue as Record<string, unknown>).pull_request;
    comment.comment = { ...comment.comment, id: 990_001, body: "/agent review", author_association: "OWNER" };
    const [task] = await deliverAndSettle(dry, "issue_comment", comment);
    expect(task).toMatchObject({ agent: "CoordinatorAgent", status: "succeeded" });
    const bodies = (await dry.store.listGithubActions({ task: task!.id, limit: 50 })).map((a) => JSON.stringify(a.body));
    expect(bodies.some((b) => b.includes("switchyard:review"))).toBe(false);
    expect(bodies.some((b) => b.includes(`#${comment.issue.number} is not a pull request`))).toBe(true);
  });
});
