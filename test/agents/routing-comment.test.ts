import { describe, expect, it } from "vitest";
import type { AgentContext } from "../../src/agents/agent.js";
import { createRoutingCommentUpdater, deliveryMarker, renderRoutingComment, routingRow, ROUTING_MARKER } from "../../src/agents/builtin/routing-comment.js";
import { OWN_MARKER } from "../../src/commands/parse-commands.js";
import { parseConfig } from "../../src/config/load-config.js";
import { normalizeEvent } from "../../src/events/normalize-event.js";
import { createGithubClient } from "../../src/github/github-client.js";
import { createWritePacer } from "../../src/github/write-pacer.js";
import { createLogger } from "../../src/observability/logger.js";
import type { ClaimedTask, GithubActionRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";

const task = (id: string) => ({ id, delivery: "d-1", agent: "IssueAgent", rule: "issue-opened" }) as ClaimedTask;
const at = new Date("2026-11-28T10:00:00Z");

describe("routing comment", () => {
  it("carries both markers and one row per task", () => {
    const body = renderRoutingComment(null, routingRow(task("1"), { status: "succeeded" }, "issues.opened", at));
    expect(body.startsWith(OWN_MARKER)).toBe(true);
    expect(body).toContain(ROUTING_MARKER);
    expect(body).toContain("| 2026-11-28 10:00 | issues.opened | IssueAgent (issue-opened) | succeeded <!-- task:1 --> |");
  });

  it("appends new tasks and replaces the row of the same task", () => {
    let body = renderRoutingComment(null, routingRow(task("1"), { status: "dead", outcome: "permanent", error: "HTTP 404 | Not Found" }, "issues.opened", at));
    expect(body).toContain("dead (details: `switchyard tasks show 1`) <!-- task:1 -->");
    body = renderRoutingComment(body, routingRow(task("2"), { status: "succeeded" }, "issues.assigned", at));
    body = renderRoutingComment(body, routingRow(task("1"), { status: "succeeded" }, "issues.opened", at));
    const rows = body.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("succeeded <!-- task:1 -->");
  });

  it("a dead row carries no error text: the comment is public, the error may hold secrets", () => {
    const error = "HTTP 400 from 10.0.0.5:9521: connect postgres://admin:S3cr3tPass@10.0.0.5/prod failed; key ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const body = renderRoutingComment(null, routingRow(task("29"), { status: "dead", outcome: "permanent", error }, "issues.opened", at));
    expect(body).toContain("| IssueAgent (issue-opened) | dead (details: `switchyard tasks show 29`) <!-- task:29 --> |");
    expect(body).not.toMatch(/S3cr3tPass|ghp_|10\.0\.0\.5|HTTP 400/);
  });

  it("in Actions mode a dead row points to the job summary: the run's store, and its task ids, end with it", () => {
    const row = routingRow(task("1"), { status: "dead", outcome: "permanent", error: "boom" }, "issues.opened", at, null, "actions");
    expect(row).toContain("dead (details: the workflow run's job summary)");
    expect(row).not.toContain("tasks show");
  });

  it("in Actions mode the rows of two workflow runs both stay, though each run's store numbers its tasks from 1; a re-run replaces its own", () => {
    const inRun = (run: string) => ({ ...task("1"), delivery: `actions-run-${run}` }) as ClaimedTask;
    let body = renderRoutingComment(null, routingRow(inRun("2001"), { status: "succeeded" }, "issues.opened", at, null, "actions"));
    body = renderRoutingComment(body, routingRow(inRun("2002"), { status: "dead", outcome: "permanent", error: "x" }, "issue_comment.created", at, null, "actions"));
    let rows = body.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain("issues.opened | IssueAgent (issue-opened) | succeeded <!-- task:actions-run-2001/1 -->");
    expect(rows[1]).toContain("issue_comment.created");
    // The second run re-run (same GITHUB_RUN_ID): its row is replaced, the first run's kept.
    body = renderRoutingComment(body, routingRow(inRun("2002"), { status: "succeeded" }, "issue_comment.created", at, null, "actions"));
    rows = body.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain("succeeded <!-- task:actions-run-2002/1 -->");
  });

  it("a delivery's comment (comments: every) carries its own marker, not the sticky one", () => {
    const marker = deliveryMarker("d-1");
    let body = renderRoutingComment(null, routingRow(task("1"), { status: "succeeded" }, "issue_comment.created", at), marker);
    body = renderRoutingComment(body, routingRow(task("2"), { status: "succeeded" }, "issue_comment.created", at), marker);
    expect(body).toContain(marker);
    expect(body).not.toContain(ROUTING_MARKER);
    expect(body.split("\n").filter((l) => l.includes("<!-- task:"))).toHaveLength(2);
  });

  it("keeps the newest 20 rows", () => {
    let body: string | null = null;
    for (let i = 0; i < 25; i++) body = renderRoutingComment(body, routingRow(task(String(i)), { status: "succeeded" }, "push", at));
    const rows = body!.split("\n").filter((l) => l.includes("<!-- task:"));
    expect(rows).toHaveLength(20);
    expect(rows[0]).toContain("task:5 ");
  });
});

/** A finished task on Codertocat/Hello-World#1 in dry-run without credentials, as the worker hands it over. */
function dryRunContext(taskId: string, writes: GithubActionRecord[], stored: GithubActionRecord[]): AgentContext {
  const payload = exampleOf("issues", "opened") as unknown as Record<string, unknown>;
  const logger = createLogger("silent");
  const github = createGithubClient({ octokit: null, dryRun: true, record: (a) => writes.push(a), logger, pace: createWritePacer(0), paceKey: "token", agent: "IssueAgent", task: taskId });
  return {
    task: task(taskId),
    event: normalizeEvent("issues", payload),
    payload,
    logger,
    store: { enqueue: async () => { throw new Error("unused"); }, deliveryTasks: async () => [], history: async () => [], githubWrites: async () => [], subjectWrites: async () => [...stored].reverse() },
    signal: new AbortController().signal,
    github,
    config: parseConfig({}).config,
    ownLogins: [],
    mode: "server",
  };
}

describe("the sticky routing comment in dry-run", () => {
  const rowsOf = (body: string) => body.split("\n").filter((l) => l.includes("<!-- task:"));

  it("records one POST, then PATCHes of the same comment with the table so far, as a live run would", async () => {
    const update = createRoutingCommentUpdater("sticky");
    const writes: GithubActionRecord[] = [];
    for (const id of ["1", "2", "3"]) await update({ ...task(id), delivery: `d-${id}` }, { status: "succeeded" }, dryRunContext(id, writes, []));
    expect(writes.map((w) => `${w.method} ${w.route}`)).toEqual([
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
      "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
    ]);
    const last = writes[2]!.body as { comment_id: number; body: string };
    expect(last.comment_id).toBe(0);
    expect(rowsOf(last.body).map((r) => /task:(\d+)/.exec(r)![1])).toEqual(["1", "2", "3"]);
  });

  it("continues the comment an earlier process recorded, found in the store", async () => {
    const earlier: GithubActionRecord[] = [];
    await createRoutingCommentUpdater("sticky")({ ...task("1"), delivery: "d-1" }, { status: "succeeded" }, dryRunContext("1", earlier, []));
    // A restarted server: a fresh updater, the earlier POST only in the store.
    const writes: GithubActionRecord[] = [];
    await createRoutingCommentUpdater("sticky")({ ...task("2"), delivery: "d-2" }, { status: "succeeded" }, dryRunContext("2", writes, earlier));
    expect(writes.map((w) => w.method)).toEqual(["PATCH"]);
    expect(rowsOf((writes[0]!.body as { body: string }).body)).toHaveLength(2);
  });

  it("does not continue another write that only quotes the marker (an agent's comment echoing its output)", async () => {
    const quoted: GithubActionRecord = {
      task: "9", agent: "CodeGenAgent", method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments", dryRun: true, at: 0,
      body: { owner: "Codertocat", repo: "Hello-World", issue_number: 1, body: "agent said: <!-- switchyard:routing -->\n| x | y | [login](https://evil.example) | succeeded <!-- task:99 --> |" },
    } as unknown as GithubActionRecord;
    const writes: GithubActionRecord[] = [];
    await createRoutingCommentUpdater("sticky")({ ...task("2"), delivery: "d-2" }, { status: "succeeded" }, dryRunContext("2", writes, [quoted]));
    expect(writes.map((w) => w.method)).toEqual(["POST"]);
    expect((writes[0]!.body as { body: string }).body).not.toContain("evil.example");
  });
});
