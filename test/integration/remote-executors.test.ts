import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskDetail } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

const SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const LEAKY_ERROR = "Error: connect postgres://admin:S3cr3tPass@10.0.0.5/prod failed; using key ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const RUNNER_INPUTS = ["agent", "action", "task_id", "delivery", "event", "repository", "number", "command", "args"];

/** A receiver that answers 503 to a message id it has not seen, then 200: a flaky agent service. */
interface Receiver {
  url: string;
  seen: { id: string; verified: boolean; body: Payload }[];
  close: () => Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const webhook = new Webhook(SECRET);
  const seen: Receiver["seen"] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let verified = true;
      try {
        webhook.verify(body, headers);
      } catch {
        verified = false;
      }
      const id = headers["webhook-id"] ?? "";
      const first = !seen.some((s) => s.id === id);
      seen.push({ id, verified, body: JSON.parse(body) as Payload });
      if (!verified) return void res.writeHead(401).end("bad signature");
      // Issue 29's agent fails the way a careless service does: its error names its secrets.
      if ((JSON.parse(body) as Payload).event?.number === 29) return void res.writeHead(400, { "content-type": "text/plain" }).end(LEAKY_ERROR);
      if (first) return void res.writeHead(503, { "content-type": "text/plain" }).end("warming up");
      res.writeHead(200, { "content-type": "application/json" }).end('{"run":"r-1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/run`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let fake: GithubFake;
let receiver: Receiver;
let server: TestServer;

function issueOpened(repository: string, number: number, labels: string[] = []): Payload {
  const payload = exampleOf("issues", "opened") as unknown as Payload;
  payload.repository.full_name = repository;
  payload.repository.name = repository.split("/")[1];
  payload.repository.owner.login = repository.split("/")[0];
  payload.issue.number = number;
  payload.issue.labels = labels.map((name, i) => ({ id: i + 1, name, color: "ededed", default: false, description: null }));
  payload.sender = { ...payload.sender, login: "maintainer", type: "User" };
  return payload;
}

async function deliverAndSettle(payload: Payload): Promise<TaskDetail> {
  fake.seedFromPayload("issues", payload);
  const res = await server.deliver("issues", payload);
  expect(res.status).toBe(202);
  const id = res.body.routed[0].task as string;
  return waitFor(async () => {
    const task = await server.store.getTask(id);
    return task && ["succeeded", "dead", "skipped"].includes(task.status) ? task : null;
  }, 20_000);
}

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  fake.repo("octo/runner").addWorkflow({ file: "agent-runner.yml", name: "switchyard agent runner", inputs: RUNNER_INPUTS });
  fake.repo("octo/legacy").addWorkflow({ file: "agent-runner.yml", name: "old runner", inputs: ["agent"] });
  receiver = await startReceiver();
  server = await startTestServer(
    {
      github: { token: "t", apiUrl: fake.url, writeIntervalMs: 0 },
      retry: { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 200, multiplier: 2 },
      agents: {
        IssueAgent: { http: { url: receiver.url, secret: SECRET }, timeout: "5s" },
        RunnerAgent: { workflow: { id: "agent-runner.yml", ref: "main" } },
      },
      routing: {
        rules: [{ id: "via-runner", when: { event: "issues", action: "opened", label: "via-runner" }, agent: "RunnerAgent", priority: "critical", action: "Run in Actions" }],
      },
    },
    undefined,
    { pollMs: 100 },
  );
});

afterAll(async () => {
  await server?.stop();
  await receiver?.close();
  await fake?.close();
});

describe("serve with an http agent", () => {
  it("retries the receiver's 503 and succeeds on its 200: two attempts, one message id", async () => {
    const task = await deliverAndSettle(issueOpened("octo/http", 11));
    expect(task).toMatchObject({ agent: "IssueAgent", status: "succeeded", attempts: 2 });
    expect(task.attemptLog.map((a) => a.outcome)).toEqual(["transient", "succeeded"]);
    expect(task.attemptLog[1]!.output).toContain('{"run":"r-1"}');

    const mine = receiver.seen.filter((s) => s.body.task.id === task.id);
    expect(mine).toHaveLength(2);
    expect(mine.every((s) => s.verified)).toBe(true);
    expect(new Set(mine.map((s) => s.id))).toEqual(new Set([`${task.delivery}:${task.id}`]));
    expect(mine.map((s) => s.body.task.attempt)).toEqual([1, 2]);
    expect(mine[0]!.body).toMatchObject({ event: { name: "issues", action: "opened", repository: "octo/http", number: 11 }, payload: { issue: { number: 11 } } });
  });

  it("sends an operator replay under a new message id, which its own retries keep", async () => {
    const task = await deliverAndSettle(issueOpened("octo/http", 12));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    // The receiver dedupes by id (it answers 503 to an id it has not seen): a replay that kept
    // the id would be taken for a retry of the run it already handled.
    const replay = await fetch(`${server.adminUrl}/api/tasks/${task.id}/replay`, { method: "POST" });
    expect(replay.status).toBe(200);
    const rerun = await waitFor(async () => {
      const t = await server.store.getTask(task.id);
      return t && t.status === "succeeded" && t.attempts === 4 ? t : null;
    }, 20_000);
    expect(rerun.attemptLog.map((a) => a.outcome)).toEqual(["transient", "succeeded", "transient", "succeeded"]);
    const ids = receiver.seen.filter((s) => s.body.task.id === task.id).map((s) => s.id);
    const first = `${task.delivery}:${task.id}`;
    expect(ids).toEqual([first, first, `${first}:replay-1`, `${first}:replay-1`]);
  });
});

describe("serve with a workflow agent", () => {
  it("dispatches agent-runner.yml with the task as declared string inputs, and succeeds on the 204", async () => {
    const task = await deliverAndSettle(issueOpened("octo/runner", 12, ["via-runner"]));
    expect(task).toMatchObject({ agent: "RunnerAgent", status: "succeeded", attempts: 1 });
    const dispatches = fake.repo("octo/runner").dispatches;
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]!.inputs).toEqual({
      agent: "RunnerAgent",
      action: "opened",
      task_id: task.id,
      delivery: task.delivery,
      event: "issues",
      repository: "octo/runner",
      number: "12",
      command: "",
      args: "",
    });
  });

  it("an agent's error stays off the public routing comment: the row says dead and where to look", async () => {
    const task = await deliverAndSettle(issueOpened("octo/http", 29));
    expect(task).toMatchObject({ agent: "IssueAgent", status: "dead", attempts: 1 });
    // The store keeps what the receiver said, with credentials and GitHub tokens masked.
    expect(task.lastError).toContain("HTTP 400 from 127.0.0.1:");
    expect(task.lastError).toContain("postgres://***@10.0.0.5/prod");
    expect(task.lastError).not.toMatch(/S3cr3tPass|ghp_/);
    // The whole answer, kept as the attempt's output, is masked the same way.
    expect(task.attemptLog[0]!.output).toContain("postgres://***@10.0.0.5/prod");
    expect(task.attemptLog[0]!.output).not.toMatch(/S3cr3tPass|ghp_/);
    const routing = await waitFor(() => fake.repo("octo/http").comments(29).find((c) => c.body.includes("switchyard:routing")) ?? null, 10_000);
    expect(routing.body).toContain(`dead (details: \`switchyard tasks show ${task.id}\`) <!-- task:${task.id} -->`);
    expect(routing.body).not.toMatch(/S3cr3tPass|ghp_|postgres|127\.0\.0\.1|HTTP 400/);
  });

  it("a workflow that does not declare the inputs answers 422: the task is dead after one attempt", async () => {
    const task = await deliverAndSettle(issueOpened("octo/legacy", 13, ["via-runner"]));
    expect(task).toMatchObject({ agent: "RunnerAgent", status: "dead", attempts: 1 });
    expect(task.lastError).toMatch(/HTTP 422/);
    expect(fake.repo("octo/legacy").dispatches).toEqual([]);
  });
});
