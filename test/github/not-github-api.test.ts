import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import type { GithubClient } from "../../src/github/github-client.js";
import { createLogger } from "../../src/observability/logger.js";
import { classifyError } from "../../src/queue/classify-error.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Sign in to continue</body></html>";

let html: Server | null = null;
let fake: GithubFake | null = null;
let server: TestServer | null = null;
afterEach(async () => {
  await server?.stop();
  await fake?.close();
  await new Promise((resolve) => (html ? html.close(resolve) : resolve(undefined)));
  server = null;
  fake = null;
  html = null;
});

/** What a GitHub Enterprise host without /api/v3 or a proxy's login page does: 200 and HTML to everything. */
async function startHtmlServer(): Promise<string> {
  html = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(LOGIN_PAGE);
  });
  await new Promise<void>((resolve) => html!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
}

/** A runtime against `apiUrl` with a token, and the JSON lines its logger wrote. */
function runtime(apiUrl: string) {
  const { config } = parseConfig({ github: { token: "ghp_test_token", apiUrl, writeIntervalMs: 0 } });
  const out = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  out.on("data", (chunk: Buffer) => lines.push(...chunk.toString("utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)));
  const logger = createLogger("info", out);
  return { runtime: createGithubRuntime(config, logger), logger, lines };
}

function client(apiUrl: string): GithubClient {
  const { runtime: github, logger } = runtime(apiUrl);
  return github.forTask({ id: "1", agent: "IssueAgent", installation: null }, logger, () => undefined);
}

const ADVICE = "does not look like GitHub's REST API (for GitHub Enterprise Server it is https://HOST/api/v3)";

describe("a github.apiUrl that answers 200 with a web page", () => {
  it("fails a read naming the call and the cause, as a permanent failure, not a TypeError", async () => {
    const url = await startHtmlServer();
    const error = await client(url).getIssue("o/r", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`GET /repos/o/r/issues/1: answered 200 with text/html, not JSON: github.apiUrl (${url}) ${ADVICE}`);
    expect(classifyError(error, Date.now())).toEqual({ kind: "permanent", reason: (error as Error).message });
  });

  it("fails a paginated list (the coordinator's) the same way, not with `'in' operator` on the page's text", async () => {
    const url = await startHtmlServer();
    await expect(client(url).listOpenIssuesWithLabel("o/r", "state:implementing")).rejects.toThrow(/^GET \/repos\/o\/r\/issues: answered 200 with text\/html, not JSON: github\.apiUrl/);
  });

  it("fails a write the same way, without printing the query string or the token", async () => {
    const url = await startHtmlServer();
    const error = (await client(url).addLabels("o/r", 1, ["bug"]).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^POST \/repos\/o\/r\/issues\/1\/labels: answered 200 with text\/html, not JSON/);
    expect(error.message).not.toContain("ghp_test_token");
  });

  it("is said at start, by the identity lookup, at error level: every call will fail until apiUrl is fixed", async () => {
    const url = await startHtmlServer();
    const { runtime: github, lines } = runtime(url);
    await github.resolveIdentity();
    expect(github.ownLogins()).toEqual([]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: `GitHub's API did not answer like GitHub (GET /user: answered 200 with text/html, not JSON: github.apiUrl (${url}) ${ADVICE}): every GitHub call an agent makes will fail until github.apiUrl is fixed`,
      }),
    ]);
  });

  it("sends IssueAgent's task to dead with that error, not a TypeError", async () => {
    const url = await startHtmlServer();
    server = await startTestServer({ github: { token: "ghp_test_token", apiUrl: url, writeIntervalMs: 0 } });
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    const id = (res.body as { routed: { task: string; agent: string }[] }).routed.find((t) => t.agent === "IssueAgent")!.task;
    const task = await waitFor(async () => {
      const found = await server!.store.getTask(id);
      return found?.status === "dead" ? found : undefined;
    }, 20_000);
    expect(task.lastError).toMatch(/^GET \/repos\/[^ ]+: answered 200 with text\/html, not JSON: github\.apiUrl \(http:\/\/127\.0\.0\.1:\d+\) does not look like GitHub's REST API/);
    expect(task.lastError).not.toContain("TypeError");
  });
});

describe("a JSON answer of the wrong shape", () => {
  it("an issue answered with [] fails naming the call and the fields expected", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/repos/o/r/issues/1", status: 200, body: [] });
    const error = (await client(fake.url).getIssue("o/r", 1).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(`GET /repos/o/r/issues/1: expected an object with number (number), title (string), labels (array), got []: github.apiUrl ${ADVICE}`);
    expect(classifyError(error, Date.now()).kind).toBe("permanent");
  });

  it("a GET /user answer without a login is a warning at start, not a silent `undefined` login", async () => {
    fake = await startGithubFake();
    fake.failNext({ method: "GET", path: "/user", status: 200, body: { id: 1 } });
    const { runtime: github, lines } = runtime(fake.url);
    await github.resolveIdentity();
    expect(github.ownLogins()).toEqual([]);
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringContaining("GET /user: expected an object with login (string), got an object without login") })]);
  });

  it("a 204 or an empty 201 is no error: only a body that is not JSON is", async () => {
    fake = await startGithubFake();
    fake.seedFromPayload("issues", exampleOf("issues", "opened"));
    fake.failNext({ method: "POST", path: "/repos/o/r/issues/1/labels", status: 201, body: undefined });
    await expect(client(fake.url).addLabels("o/r", 1, ["bug"])).resolves.toBeUndefined();
    fake.failNext({ method: "POST", path: "/repos/o/r/actions/workflows/ci.yml/dispatches", status: 204 });
    await expect(client(fake.url).dispatchWorkflow("o/r", "ci.yml", "main", {})).resolves.toBeUndefined();
  });
});
