import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { AfterTaskError } from "../../src/queue/after-task-error.js";
import { createWorker } from "../../src/queue/worker.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import type { Store } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A logger whose JSON lines land in the returned array. */
function capture() {
  const lines: LogLine[] = [];
  const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } as unknown as NodeJS.WritableStream);
  return { lines, logger };
}

const afterTaskLines = (lines: LogLine[]) => lines.filter((line) => line.msg.startsWith("after-task step failed"));

let fake: GithubFake | null = null;
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  await fake?.close();
  server = null;
  fake = null;
});

/** Delivers an issues.opened event whose task succeeds without touching GitHub; the routing comment is all that calls it. */
async function routeOneIssue(raw: Record<string, unknown>, lines: LogLine[], logger: ReturnType<typeof capture>["logger"]) {
  server = await startTestServer(raw, undefined, { logger, executorFor: () => async () => ({ output: "ok" }) });
  const payload = exampleOf("issues", "opened") as unknown as { repository: { full_name: string }; issue: { number: number }; installation?: unknown };
  // An installation, for App auth to mint a token for.
  payload.installation = { id: 4242, node_id: "x" };
  const res = await server.deliver("issues", payload);
  expect(res.status).toBe(202);
  const id = (res.body as { routed: { task: string }[] }).routed[0]!.task;
  await waitFor(() => afterTaskLines(lines).length > 0 || undefined, 20_000);
  const task = await waitFor(async () => {
    const status = (await server!.store.getTask(id))?.status;
    return status === "succeeded" || status === "dead" ? status : undefined;
  }, 20_000);
  return { task, repo: payload.repository.full_name, number: payload.issue.number };
}

describe("an after-task step GitHub refuses", () => {
  it("names the step and the request in one line: no stack, no Octokit request or response, no token", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: /\/issues\/\d+\/comments$/, status: 404, times: 10 });
    const { lines, logger } = capture();
    const { task, repo, number } = await routeOneIssue({ github: { token: "ghp_secret_test_token", apiUrl: fake.url, writeIntervalMs: 0 } }, lines, logger);
    expect(task).toBe("succeeded");
    const [line, ...more] = afterTaskLines(lines);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ level: 40, step: `the routing comment on ${repo}#${number}` });
    expect(line!.error).toMatch(new RegExp(`^GET /repos/${repo}/issues/${number}/comments: HTTP 404 from 127\\.0\\.0\\.1:\\d+: Not Found`));
    expect(line!.msg).toBe(`after-task step failed (the task's outcome stands): the routing comment on ${repo}#${number}: ${String(line!.error)}`);
    const text = JSON.stringify(line);
    for (const absent of ["stack", "    at ", "ghp_secret_test_token", "headers", "response"]) expect(text).not.toContain(absent);
  });

});

describe("an after-task step that fails inside this process", () => {
  async function runWithAfterTask(thrown: unknown): Promise<LogLine[]> {
    const store: Store = createMemoryStore();
    await store.migrate();
    const { config } = parseConfig({});
    const { lines, logger } = capture();
    const worker = createWorker({
      store,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10,
      afterTask: () => Promise.reject(thrown),
      executorFor: () => async () => ({ output: "ok" }),
    });
    const body = Buffer.from(JSON.stringify(exampleOf("issues", "opened")));
    await store.accept(
      { id: "d-1", signature: "sha256=1", event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body, receivedAt: Date.now() },
      [{ rule: "r", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null }],
      { replayWindowMs: 60_000 },
    );
    await worker.start();
    await waitFor(() => afterTaskLines(lines).length > 0 || undefined, 10_000);
    await worker.stop(1_000);
    await store.close();
    return afterTaskLines(lines);
  }

  it("keeps the stack of a TypeError: that is a bug to find", async () => {
    const [line] = await runWithAfterTask(new AfterTaskError("the routing comment on octo/hello#1", new TypeError("cannot read properties of undefined (reading 'body')")));
    expect(line).toMatchObject({ level: 40, step: "the routing comment on octo/hello#1", error: "TypeError: cannot read properties of undefined (reading 'body')" });
    expect((line!.err as { stack?: string }).stack).toMatch(/TypeError: cannot read properties/);
  });

  it("says a DOMException in one line, without its constants", async () => {
    const [line] = await runWithAfterTask(new DOMException("the key data is not a valid key", "DataError"));
    expect(line).toMatchObject({ level: 40, step: "an after-task step", error: "DataError: the key data is not a valid key" });
    const text = JSON.stringify(line);
    expect(text).not.toContain("stack");
    expect(text).not.toContain("INDEX_SIZE_ERR");
  });

  it("takes fetch's TypeError for a refused connection as the network, not a bug", async () => {
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    const [line] = await runWithAfterTask(refused);
    expect(line!.error).toBe("network error ECONNREFUSED");
    expect(JSON.stringify(line)).not.toContain("stack");
  });
});
