import { runCli } from "../support/run-cli.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { secondaryRateLimit, startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { splitCodeSpans } from "../support/markdown-code-spans.js";
import { waitFor } from "../support/wait-for.js";
import { deliverAndSettle as settle } from "../support/deliver-and-settle.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

let fake: GithubFake;
let server: TestServer;
let nextIssue = 100;

const REPO_OWNER = "octo-org";

function repoName(): string {
  return `${REPO_OWNER}/agents-${nextIssue}`;
}

/** An issues.* payload for a fresh issue in a fresh repository, seeded into the fake. */
function issueEvent(action: "opened" | "assigned" | "closed" | "labeled", issue: { title?: string; body?: string; labels?: string[] } = {}): Payload {
  const payload = exampleOf("issues", action === "closed" ? "reopened" : action) as unknown as Payload;
  payload.action = action;
  payload.repository.full_name = repoName();
  payload.repository.name = repoName().split("/")[1];
  payload.repository.owner.login = REPO_OWNER;
  payload.issue.number = nextIssue;
  payload.issue.title = issue.title ?? "Login page crashes with a stack trace";
  payload.issue.body = issue.body ?? "Steps to reproduce: open the login page.";
  payload.issue.labels = (issue.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed", default: false, description: null }));
  payload.sender = { ...payload.sender, login: "maintainer", type: "User" };
  return payload;
}

function commentEvent(base: Payload, body: string, options: { association?: string; login?: string; type?: string; id?: number } = {}): Payload {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.repository = base.repository;
  payload.issue = { ...base.issue };
  payload.comment.id = options.id ?? Math.floor(Math.random() * 1e9);
  payload.comment.body = body;
  payload.comment.author_association = options.association ?? "OWNER";
  payload.comment.user = { ...payload.comment.user, login: options.login ?? "maintainer", type: options.type ?? "User" };
  payload.sender = { ...payload.sender, login: options.login ?? "maintainer", type: options.type ?? "User" };
  return payload;
}

async function deliverAndSettle(event: string, payload: Payload): Promise<TaskRecord[]> {
  fake.seedFromPayload(event, payload);
  return settle(server, event, payload);
}

function labelsOf(repo: string, number: number): string[] {
  return [...fake.repo(repo).issue(number)!.labels].sort();
}

function repliesOf(repo: string, number: number): string[] {
  return fake
    .repo(repo)
    .comments(number)
    .map((c) => c.body)
    .filter((b) => b.includes(OWN_MARKER) && !b.includes("switchyard:routing"));
}

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  server = await startTestServer(
    {
      github: { token: "test-token", apiUrl: fake.url, writeIntervalMs: 0 },
      retry: { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 200 },
    },
    undefined,
    { pollMs: 100 },
  );
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});
beforeEach(() => {
  nextIssue++;
  fake.clearFaults();
});

describe("IssueAgent on GitHub", () => {
  it("labels an opened issue by type and priority, creating the labels it needs", async () => {
    const [task] = await deliverAndSettle("issues", issueEvent("opened", { title: "Urgent: checkout crashes", body: "Production down since the deploy." }));
    expect(task!.status).toBe("succeeded");
    expect(labelsOf(repoName(), nextIssue)).toEqual(["priority:P0", "type:bug"]);
    expect(fake.repo(repoName()).labels.find((l) => l.name === "type:bug")?.color).toBe("d73a4a");
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("moves an assigned issue to state:implementing and a closed one to state:done, keeping human labels", async () => {
    await deliverAndSettle("issues", issueEvent("assigned", { labels: ["needs-design", "state:triage"] }));
    expect(labelsOf(repoName(), nextIssue)).toEqual(["needs-design", "state:implementing"]);
    const closed = issueEvent("closed", { labels: ["needs-design", "state:implementing"] });
    await server.deliver("issues", closed);
    await waitFor(() => labelsOf(repoName(), nextIssue).includes("state:done"), 20_000);
    expect(labelsOf(repoName(), nextIssue)).toEqual(["needs-design", "state:done"]);
  });

  it("keeps one sticky routing comment per issue, edited as events are routed", async () => {
    await deliverAndSettle("issues", issueEvent("opened"));
    await deliverAndSettle("issues", issueEvent("assigned"));
    await waitFor(() => fake.repo(repoName()).comments(nextIssue).some((c) => c.body.includes("issues.assigned")), 10_000);
    const routing = fake.repo(repoName()).comments(nextIssue).filter((c) => c.body.includes("switchyard:routing"));
    expect(routing).toHaveLength(1);
    expect(routing[0]!.body).toContain("issues.opened");
    expect(routing[0]!.body).toContain("issues.assigned");
    expect(fake.requests.some((r) => r.method === "PATCH" && r.path.includes("/issues/comments/"))).toBe(true);
  });

  it("edits only its own routing comment: a comment anyone wrote with the marker is left alone, its rows never republished", async () => {
    const opened = issueEvent("opened");
    fake.seedFromPayload("issues", opened);
    const planted = [
      "<!-- switchyard -->",
      "<!-- switchyard:routing -->",
      "| 2026-01-01 00:00 | issues.opened | @acme/everyone [login](https://evil.example/login) <img src=https://evil.example/p.png> | succeeded <!-- task:999999 --> |",
    ].join("\n");
    const seeded = fake.repo(repoName()).addComment(nextIssue, { body: planted, user: "mallory" });
    await deliverAndSettle("issues", opened);
    await waitFor(() => fake.repo(repoName()).comments(nextIssue).some((c) => c.user === "switchyard-bot" && c.body.includes("switchyard:routing")), 10_000);
    const comments = fake.repo(repoName()).comments(nextIssue);
    expect(comments.find((c) => c.id === seeded.id)!.body).toBe(planted);
    const own = comments.filter((c) => c.user === "switchyard-bot" && c.body.includes("switchyard:routing"));
    expect(own).toHaveLength(1);
    expect(own[0]!.body).toContain("issues.opened");
    expect(own[0]!.body).not.toMatch(/evil\.example|@acme|task:999999/);
    expect(fake.requests.some((r) => r.method === "PATCH" && r.path.endsWith(`/issues/comments/${seeded.id}`))).toBe(false);
  });
});

describe("CoordinatorAgent commands", () => {
  it("runs the agent-execute label: 👀, state:implementing and a plan from the task list", async () => {
    const labeled = issueEvent("labeled", { body: "- [ ] Add the parser\n- [ ] Write tests for it\n- [x] Agree on the format", labels: ["agent-execute"] });
    labeled.label = { id: 9, name: "agent-execute", color: "ededed" };
    fake.repo(repoName()).setPermission("maintainer", "write");
    const [task] = await deliverAndSettle("issues", labeled);
    expect(task).toMatchObject({ agent: "CoordinatorAgent", status: "succeeded" });
    expect(labelsOf(repoName(), nextIssue)).toContain("state:implementing");
    const [plan] = repliesOf(repoName(), nextIssue);
    expect(plan).toContain("Plan for #");
    expect(plan).toMatch(/Add the parser — \*\*CodeGenAgent\*\*/);
    expect(plan).toMatch(/Write tests for it — \*\*TestAgent\*\*/);
    expect(fake.repo(repoName()).reactions.some((r) => r.content === "eyes")).toBe(true);
  });

  it("answers /agent analyze, status, help and an unknown command, one reply each", async () => {
    const opened = issueEvent("opened", { title: "Docs: typo in the README" });
    await deliverAndSettle("issues", opened);
    const comment = commentEvent(opened, "/agent analyze\n/agent status\n/agent help\n/agent frobnicate\n/agent stauts");
    const [task] = await deliverAndSettle("issue_comment", comment);
    expect(task!.status).toBe("succeeded");
    const replies = repliesOf(repoName(), nextIssue);
    expect(replies).toHaveLength(5);
    expect(replies[0]).toContain("Analysis of #");
    expect(replies[0]).toContain("type:docs");
    expect(replies[1]).toContain(`Status of #${nextIssue}`);
    expect(replies[1]).toContain("issues.opened");
    expect(replies[1]).toMatch(/IssueAgent: succeeded/);
    expect(replies[2]).toContain("`/agent analyze`");
    expect(replies[3]).toContain("does not know `frobnicate`.\n");
    // A near miss names what was meant.
    expect(replies[4]).toContain("does not know `stauts`: did you mean `/agent status`?");
    for (const reply of replies) for (const line of reply.split("\n")) expect(line.startsWith("/agent")).toBe(false);
    const reactions = fake.repo(repoName()).reactions.filter((r) => r.content === "eyes");
    expect(reactions.length).toBeGreaterThanOrEqual(1);
  });

  it("does nothing, and fails nothing, for a command whose comment was deleted before its task ran", async () => {
    const opened = issueEvent("opened", { title: "Docs: typo in the README" });
    await deliverAndSettle("issues", opened);
    const repliesBefore = repliesOf(repoName(), nextIssue).length;
    // Not seeded: on GitHub the comment is gone, so reacting to it answers 404.
    const comment = commentEvent(opened, "/agent analyze");
    const [task] = await settle(server, "issue_comment", comment);
    expect(task!.status).toBe("succeeded");
    const detail = await server.store.getTask(task!.id);
    expect(detail!.attemptLog[0]!.output).toContain(`comment ${comment.comment.id} was deleted before its commands ran: nothing done`);
    expect(repliesOf(repoName(), nextIssue)).toHaveLength(repliesBefore);
  });

  it("/agent status shows any label name as code: a backtick in one cannot let @mentions or links through", async () => {
    const hostile = ["a`b", "x`` @team ``[x](http://e)", "state:`@team [x](http://e)`", "bug"];
    const opened = issueEvent("opened", { title: "Docs: typo in the README", labels: hostile });
    fake.seedFromPayload("issues", opened);
    const [task] = await deliverAndSettle("issue_comment", commentEvent(opened, "/agent status"));
    expect(task!.status).toBe("succeeded");
    const [reply] = repliesOf(repoName(), nextIssue);
    const head = reply!.split("\n").find((line) => line.startsWith(`**Status of #${nextIssue}**`))!;
    const { spans, outside } = splitCodeSpans(head);
    // Every label whole in a span of its own, the state label twice (state, then labels).
    expect([...spans].sort()).toEqual([...labelsOf(repoName(), nextIssue), "state:`@team [x](http://e)`"].sort());
    expect(outside).not.toMatch(/@team|\]\(|http/);
  });

  it("refuses a command given words after it, doing nothing: /agent execute now, /agent review #12", async () => {
    const opened = issueEvent("opened", { title: "Add a parser", body: "- [ ] Add the parser" });
    await deliverAndSettle("issues", opened);
    fake.repo(repoName()).setPermission("maintainer", "write");
    const [task] = await deliverAndSettle("issue_comment", commentEvent(opened, "/agent execute now please\n/agent review #12\n/agent status all"));
    expect(task!.status).toBe("succeeded");
    const replies = repliesOf(repoName(), nextIssue);
    expect(replies).toHaveLength(3);
    for (const [i, name] of ["execute", "review", "status"].entries()) {
      expect(replies[i]).toContain(`\`${name}\` takes no argument: it works on this issue, #${nextIssue}. Nothing was done`);
    }
    expect(labelsOf(repoName(), nextIssue)).not.toContain("state:implementing");
    expect(replies.some((r) => r.includes("Plan for #"))).toBe(false);
  });

  it("serves the command help at GET /agent-help, no line starting with /agent", async () => {
    const res = await fetch(`${server.adminUrl}/agent-help`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("`/agent execute`");
    expect(text.split("\n").some((line) => line.startsWith("/agent"))).toBe(false);
  });
});

describe("who may run commands", () => {
  const cases = [
    { who: "NONE", association: "NONE", permission: "none" },
    { who: "CONTRIBUTOR", association: "CONTRIBUTOR", permission: "read" },
    { who: "a read-only COLLABORATOR", association: "COLLABORATOR", permission: "read" },
  ];
  for (const { who, association, permission } of cases) {
    it(`refuses /agent execute and /agent deploy from ${who}, running nothing`, async () => {
      const opened = issueEvent("opened", { labels: ["keep-me"] });
      fake.seedFromPayload("issues", opened);
      fake.repo(repoName()).setPermission("stranger", permission as "read");
      const before = labelsOf(repoName(), nextIssue);
      const [task] = await deliverAndSettle("issue_comment", commentEvent(opened, "/agent execute\n/agent deploy", { association, login: "stranger" }));
      expect(task!.status).toBe("succeeded");
      const replies = repliesOf(repoName(), nextIssue);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatch(/did not run this/);
      expect(replies[0]).toMatch(/needs/);
      expect(labelsOf(repoName(), nextIssue)).toEqual(before);
    });
  }

  it("never runs quoted or fenced commands", async () => {
    const opened = issueEvent("opened");
    fake.seedFromPayload("issues", opened);
    for (const body of ["> /agent execute", "```\n/agent execute\n```"]) {
      fake.seedFromPayload("issue_comment", commentEvent(opened, body));
      const res = await server.deliver("issue_comment", commentEvent(opened, body));
      expect(res.status).toBe(202);
      expect(res.body.routed).toEqual([]);
    }
  });

  it("ignores switchyard's own comment and a bot's comment", async () => {
    const opened = issueEvent("opened");
    fake.seedFromPayload("issues", opened);
    const own = await server.deliver("issue_comment", commentEvent(opened, `${OWN_MARKER}\n/agent execute`));
    const bot = await server.deliver("issue_comment", commentEvent(opened, "/agent execute", { login: "renovate[bot]", type: "Bot" }));
    const self = await server.deliver("issue_comment", commentEvent(opened, "/agent execute", { login: "switchyard-bot" }));
    expect([own.body.routed, bot.body.routed, self.body.routed]).toEqual([[], [], []]);
    // The 202 says why, as route --json does.
    expect([own.body.ignored, bot.body.ignored, self.body.ignored]).toEqual(["own-event", "bot-sender", "own-event"]);
    // The stored delivery says so too, as far as its payload tells (a login is known to a running server only).
    const detail = async (id: string) => (await (await fetch(`${server.adminUrl}/api/deliveries/${id}`)).json()) as { decision: unknown; ignored: unknown };
    expect(await detail(own.body.delivery)).toMatchObject({ decision: null, ignored: "own-event" });
    expect(await detail(bot.body.delivery)).toMatchObject({ decision: null, ignored: "bot-sender" });
    const shown = await runCli(["deliveries", "show", bot.body.delivery], { cwd: server.dir, env: { DATABASE_URL: `sqlite:${server.dbFile}` } });
    expect(shown.stdout).toContain("  decision: ignored (bot-sender): switchyard never acts on its own or a bot's comments and labels\n");
  });

  it("a replay of switchyard's own comment through the admin API routes nowhere either", async () => {
    const opened = issueEvent("opened");
    fake.seedFromPayload("issues", opened);
    const self = await server.deliver("issue_comment", commentEvent(opened, "/agent execute", { login: "switchyard-bot" }));
    expect(self.body.routed).toEqual([]);
    const replayed = await fetch(`${server.adminUrl}/api/deliveries/${self.body.delivery}/replay`, { method: "POST" });
    expect(replayed.status).toBe(200);
    // The answer says why nothing was re-queued: switchyard's own event never routes.
    expect(await replayed.json()).toMatchObject({ delivery: self.body.delivery, tasks: [], event: "issue_comment", action: "created", ignored: "own-event" });
    expect(await server.store.listTasks({ delivery: self.body.delivery, limit: 10 })).toEqual([]);
  });
});

describe("GitHub failures", () => {
  it("retries a 502 and does the work once: two attempts", async () => {
    const opened = issueEvent("opened");
    fake.failNext({ method: "POST", path: new RegExp(`/repos/${repoName()}/issues/${nextIssue}/labels$`), status: 502, body: { message: "Bad Gateway" } });
    const [task] = await deliverAndSettle("issues", opened);
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(labelsOf(repoName(), nextIssue)).toEqual(["priority:P2", "type:bug"]);
  });

  it("honours Retry-After on a 429", async () => {
    fake.failNext({ method: "GET", path: new RegExp(`/repos/${repoName()}/issues/${nextIssue}$`), status: 429, headers: { "retry-after": "1" }, body: { message: "slow down" } });
    const [task] = await deliverAndSettle("issues", issueEvent("opened"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    const log = (await server.store.getTask(task!.id))!.attemptLog;
    expect(log[0]!.retryDelayMs).toBeGreaterThanOrEqual(1000);
  });

  it("waits out a secondary rate limit (403)", async () => {
    fake.failNext({ method: "GET", path: new RegExp(`/repos/${repoName()}/issues/${nextIssue}$`), ...secondaryRateLimit(1) });
    const [task] = await deliverAndSettle("issues", issueEvent("opened"));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    expect((await server.store.getTask(task!.id))!.attemptLog[0]!.retryDelayMs).toBeGreaterThanOrEqual(1000);
  });

  it("sends a 404 to dead at once", async () => {
    fake.failAlways({ method: "GET", path: new RegExp(`/repos/${repoName()}/issues/${nextIssue}$`), status: 404, body: { message: "Not Found" } });
    const [task] = await deliverAndSettle("issues", issueEvent("opened"));
    expect(task).toMatchObject({ status: "dead", attempts: 1 });
    expect(task!.lastError).toMatch(/404/);
  });
});

describe("dry-run without credentials", () => {
  let dry: TestServer;
  beforeAll(async () => {
    dry = await startTestServer({ github: { apiUrl: fake.url, writeIntervalMs: 0 } });
  });
  afterAll(async () => {
    await dry.stop();
  });

  it("records the intended writes and sends nothing", async () => {
    const opened = issueEvent("opened", { title: "Crash on save" });
    fake.seedFromPayload("issues", opened);
    fake.clearRequests();
    const res = await dry.deliver("issues", opened);
    const taskId = res.body.routed[0].task as string;
    await waitFor(async () => (await dry.store.getTask(taskId))?.status === "succeeded", 20_000);
    await waitFor(async () => (await dry.store.listGithubActions({ limit: 50 })).some((a) => a.route.includes("/comments")), 10_000);
    const actions = await dry.store.listGithubActions({ limit: 50 });
    expect(actions.every((a) => a.dryRun)).toBe(true);
    const labelWrite = actions.find((a) => a.method === "POST" && a.route.endsWith("/issues/{issue_number}/labels"));
    expect((labelWrite!.body as { labels: string[] }).labels.sort()).toEqual(["priority:P2", "type:bug"]);
    expect(fake.requests).toEqual([]);
  });

  it("previews the sticky routing comment as one comment: a POST, then a PATCH with the table so far", async () => {
    const opened = issueEvent("opened", { title: "Crash on load" });
    const assigned = issueEvent("assigned", { title: "Crash on load" });
    const routingWrites = async () =>
      (await dry.store.listGithubActions({ limit: 200 }))
        .reverse()
        .filter((a) => (a.body as { issue_number?: number; body?: string }).body?.includes("<!-- switchyard:routing -->"))
        .filter((a) => a.method === "PATCH" || (a.body as { issue_number?: number }).issue_number === opened.issue.number);
    for (const payload of [opened, assigned]) {
      const res = await dry.deliver("issues", payload);
      const taskId = res.body.routed[0].task as string;
      await waitFor(async () => (await dry.store.getTask(taskId))?.status === "succeeded", 20_000);
    }
    const writes = await routingWrites();
    expect(writes.map((w) => w.method)).toEqual(["POST", "PATCH"]);
    const patched = writes[1]!.body as { comment_id: number; body: string };
    expect(patched.comment_id).toBe(0);
    expect(patched.body.split("\n").filter((l) => l.includes("<!-- task:")).map((l) => l.split(" | ")[1])).toEqual(["issues.opened", "issues.assigned"]);
  });
});
