import { afterEach, describe, expect, it } from "vitest";
import { renderTaskDetail } from "../../src/present/render-detail.js";
import { failedWrites } from "../../src/present/records.js";
import type { TaskDetailView } from "../../src/present/load-detail.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createWorkdir, runCli } from "../support/run-cli.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

let fake: GithubFake | null = null;
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  await fake?.close();
  server = null;
  fake = null;
});

const TOKEN = "ghp_failed_call_test_token";

describe("a task that fails on a GitHub call", () => {
  it("names the call (method and path, no query, no token) in its error, and tasks show says the write did not go through", async () => {
    fake = await startGithubFake();
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    fake.failAlways({ method: "POST", path: /\/labels$/, status: 403, body: { message: "Resource not accessible by integration" } });
    server = await startTestServer({ github: { token: TOKEN, apiUrl: fake.url, writeIntervalMs: 0 } });
    const res = await server.deliver("issues", payload);
    const id = (res.body as { routed: { task: string; agent: string }[] }).routed.find((t) => t.agent === "IssueAgent")!.task;
    const task = await waitFor(async () => {
      const found = await server!.store.getTask(id);
      return found?.status === "dead" ? found : undefined;
    }, 20_000);
    const call = /^POST (\/repos\/Codertocat\/Hello-World\/(?:issues\/1\/)?labels): HTTP 403 from 127\.0\.0\.1:\d+: Resource not accessible by integration$/;
    expect(task.lastError).toMatch(call);
    expect(task.lastError).not.toContain(TOKEN);
    const path = call.exec(task.lastError!)![1]!;

    const shown = await runCli(["tasks", "show", id], { cwd: server.dir, env: { DATABASE_URL: `sqlite:${server.dbFile}` } });
    expect(shown.code).toBe(0);
    // The routing comment went through; the refused write is listed beside it, though not recorded.
    expect(shown.stdout).toMatch(/\n {2}GitHub writes:\n {4}POST \/repos\/Codertocat\/Hello-World\/issues\/1\/comments\n/);
    expect(shown.stdout).toContain(`\n    POST ${path}  (failed in attempt 1, not recorded: see its error)\n`);
  });
});

describe("a routing comment GitHub refuses after the agent ran", () => {
  it("leaves the outcome as it was, says so in the attempt's output, and tasks show lists the comment as not gone through", async () => {
    fake = await startGithubFake();
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    fake.failAlways({ method: "POST", path: /\/comments$/, status: 403, body: { message: "Resource not accessible by integration" } });
    server = await startTestServer({ github: { token: TOKEN, apiUrl: fake.url, writeIntervalMs: 0 } });
    const res = await server.deliver("issues", payload);
    const id = (res.body as { routed: { task: string; agent: string }[] }).routed.find((t) => t.agent === "IssueAgent")!.task;
    const task = await waitFor(async () => {
      const found = await server!.store.getTask(id);
      return found?.status === "succeeded" ? found : undefined;
    }, 20_000);
    expect(task.lastError).toBeNull();

    const shown = await runCli(["tasks", "show", id], { cwd: server.dir, env: { DATABASE_URL: `sqlite:${server.dbFile}` } });
    expect(shown.code).toBe(0);
    // IssueAgent's own output first, then switchyard's line about the comment.
    expect(shown.stdout).toMatch(/output:\n(?: {6}.*\n)+ {6}\n {6}switchyard: the routing comment on Codertocat\/Hello-World#1 failed \(the task's outcome stands\): POST \/repos\/Codertocat\/Hello-World\/issues\/1\/comments: HTTP 403 from 127\.0\.0\.1:\d+: Resource not accessible by integration\n/);
    expect(shown.stdout).toContain("\n    POST /repos/Codertocat/Hello-World/issues/1/comments  (failed in attempt 1, not recorded: see its output)\n");
    expect(shown.stdout).not.toContain(TOKEN);
  });
});

/** `switchyard route` as a workflow step runs it on `payload`, against the fake. */
async function routeInActions(payload: object, work: ReturnType<typeof createWorkdir>) {
  const event = work.write("event.json", payload);
  const summary = path.join(work.dir, "summary.md");
  const result = await runCli(["route"], {
    cwd: work.dir,
    env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: event, GITHUB_STEP_SUMMARY: summary, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: fake!.url, LOG_LEVEL: "silent" },
  });
  return { ...result, summary };
}

describe("a routing comment GitHub refuses in Actions mode", () => {
  it("exits 0 with a warning annotation, and the job summary says it", async () => {
    fake = await startGithubFake();
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    // A job whose permissions lack issues: write for comments.
    fake.failAlways({ method: "POST", path: /\/comments$/, status: 403, body: { message: "Resource not accessible by integration" } });
    const work = createWorkdir();
    try {
      const result = await routeInActions(payload, work);
      const { summary } = result;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(
        /^::warning title=switchyard%3A after IssueAgent::the routing comment on Codertocat\/Hello-World#1 failed \(the task's outcome stands\): POST \/repos\/Codertocat\/Hello-World\/issues\/1\/comments: HTTP 403 from 127\.0\.0\.1:\d+: Resource not accessible by integration$/m,
      );
      // In the attempt's line (Markdown-escaped, as all text there is).
      // The agent's output has several lines: shown as printed, the note on the routing comment last.
      expect(readFileSync(summary, "utf8")).toMatch(/attempt 1: succeeded\n\n {4}```\n[\s\S]*?\n {4}switchyard: the routing comment on .+ failed \(the task's outcome stands\): POST \/repos\//);
      expect(result.stderr).not.toContain(TOKEN);
    } finally {
      work.remove();
    }
  });
});

describe("a write the job's token may not make, in Actions mode", () => {
  it("exits 1 with an error annotation that says what a 403 from integration means in a workflow", async () => {
    fake = await startGithubFake();
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    fake.failAlways({ method: "POST", path: /\/labels$/, status: 403, body: { message: "Resource not accessible by integration" } });
    const work = createWorkdir();
    try {
      const result = await routeInActions(payload, work);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^::error title=switchyard%3A IssueAgent failed::POST \/repos\/Codertocat\/Hello-World\/labels: HTTP 403 .*Resource not accessible by integration \(the job's GITHUB_TOKEN may not make this write: give the job the permissions: the agent needs, .*a pull request from a fork gets a read-only token/m);
    } finally {
      work.remove();
    }
  });
});

describe("a rate limit that asks a workflow run to wait long, in Actions mode", () => {
  it("ends the task at once, saying when to run the workflow again, rather than sleeping through the job's timeout", async () => {
    fake = await startGithubFake();
    const payload = exampleOf("issues", "opened");
    fake.seedFromPayload("issues", payload);
    fake.failAlways({ method: "POST", path: /\/labels$/, status: 429, headers: { "retry-after": "600" }, body: { message: "API rate limit exceeded" } });
    const work = createWorkdir();
    try {
      const result = await routeInActions(payload, work);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^::error title=switchyard%3A IssueAgent failed::POST \/repos\/Codertocat\/Hello-World\/labels: HTTP 429 .*: a retry was due in 10 min, later than a workflow run waits \(5 min\): run the workflow again after that$/m);
      // One attempt: nothing slept. Not called permanent where the task's line is printed either.
      expect(fake.requests.filter((r) => r.method === "POST" && r.path.endsWith("/labels"))).toHaveLength(1);
      expect(result.stderr).not.toContain("a permanent failure");
    } finally {
      work.remove();
    }
  });
});

describe("tasks show's line for a task without GitHub writes", () => {
  const task = (errors: (string | null)[]): TaskDetailView => {
    const attempts = errors.map((error, i) => ({ n: i + 1, started_at: "2024-01-01T00:00:00.000Z", finished_at: "2024-01-01T00:00:01.000Z", outcome: "failed", error, output: null, retry_delay_ms: null, agent: "IssueAgent" }));
    return {
      id: "7", delivery: "d", agent: "IssueAgent", rule: "r", priority: "normal", status: "dead", attempts: errors.length, action: "a", idempotency_key: null, run_at: "", last_error: null,
      github_writes: [],
      attempt_log: attempts,
      failed_writes: failedWrites(attempts),
    } as unknown as TaskDetailView;
  };

  it.each([
    [[null], "none"],
    [["GET /repos/o/r/issues/1: HTTP 404 from api.github.com: Not Found"], "none"],
    [["TypeError: boom"], "none"],
    [
      ["PATCH /repos/o/r/issues/1: HTTP 502 from api.github.com: Bad Gateway", "DELETE /repos/o/r/issues/1/labels/x: HTTP 403 from api.github.com: Forbidden"],
      "none went through:\n    PATCH /repos/o/r/issues/1  (failed in attempt 1, not recorded: see its error)\n    DELETE /repos/o/r/issues/1/labels/x  (failed in attempt 2, not recorded: see its error)",
    ],
  ])("attempts failing with %j: %s", (errors, said) => {
    expect(renderTaskDetail(task(errors)).endsWith(`\n  GitHub writes: ${said}\n`)).toBe(true);
  });
});
