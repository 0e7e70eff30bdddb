import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

let fake: GithubFake | null = null;
let server: TestServer | null = null;
let scriptDir: string | null = null;
afterEach(async () => {
  await server?.stop();
  await fake?.close();
  if (scriptDir !== null) rmSync(scriptDir, { recursive: true, force: true });
  server = null;
  fake = null;
  scriptDir = null;
});

function opened(installation: number | null): Payload {
  const payload = exampleOf("issues", "opened") as unknown as Payload;
  payload.issue.title = "Crash when saving";
  payload.issue.labels = [];
  if (installation === null) delete payload.installation;
  else payload.installation = { id: installation, node_id: "x" };
  return payload;
}

async function settle(s: TestServer, payload: Payload) {
  const res = await s.deliver("issues", payload);
  expect(res.status).toBe(202);
  const id = res.body.routed[0].task as string;
  return waitFor(async () => {
    const task = await s.store.getTask(id);
    return task && ["succeeded", "dead"].includes(task.status) ? task : null;
  }, 20_000);
}

describe("GitHub App auth", () => {
  it("mints an installation token for the delivery's installation and acts with it", async () => {
    fake = await startGithubFake({ app: { slug: "switchyard-test" } });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    server = await startTestServer({ github: { appId: 12345, privateKey, apiUrl: fake.url, writeIntervalMs: 0 } });
    const payload = opened(4242);
    fake.seedFromPayload("issues", payload);
    const task = await settle(server, payload);
    expect(task.status).toBe("succeeded");
    const tokenRequest = fake.requests.find((r) => r.method === "POST" && r.path === "/app/installations/4242/access_tokens");
    expect(tokenRequest?.authorization).toMatch(/^bearer .+\..+\..+$/i);
    const labelWrite = fake.requests.find((r) => r.method === "POST" && r.path.endsWith(`/issues/${payload.issue.number}/labels`));
    expect(labelWrite?.authorization).toMatch(/^token /);
    expect(labelWrite?.authorization).not.toMatch(/bearer/i);
    expect(fake.repo(payload.repository.full_name).issue(payload.issue.number)!.labels).toContain("type:bug");
    // Its own identity is the App's bot login, learned from GET /app.
    await waitFor(() => fake!.requests.some((r) => r.path === "/app"), 5000);
  });

  it("fails a task whose delivery names no installation, saying why", async () => {
    fake = await startGithubFake({ app: { slug: "switchyard-test" } });
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    server = await startTestServer({ github: { appId: 1, privateKey, apiUrl: fake.url, writeIntervalMs: 0 } });
    const task = await settle(server, opened(null));
    expect(task.status).toBe("dead");
    expect(task.lastError).toMatch(/no installation/);
  });
});

describe("explicit dry-run with credentials", () => {
  it("reads from the API but only records the writes", async () => {
    fake = await startGithubFake();
    server = await startTestServer({ github: { token: "t", apiUrl: fake.url, dryRun: true, writeIntervalMs: 0 } });
    const payload = opened(null);
    fake.seedFromPayload("issues", payload);
    const task = await settle(server, payload);
    expect(task.status).toBe("succeeded");
    expect(fake.requests.some((r) => r.method === "GET" && r.path.endsWith(`/issues/${payload.issue.number}`))).toBe(true);
    expect(fake.writes).toEqual([]);
    const recorded = await server.store.listGithubActions({ task: task.id, limit: 20 });
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.every((a) => a.dryRun)).toBe(true);
  });
});

describe("execute hands the plan to the configured execution agent", () => {
  it("queues an ExecutionAgent task that runs the exec program", async () => {
    fake = await startGithubFake();
    const dir = (scriptDir = mkdtempSync(path.join(tmpdir(), "switchyard-exec-agent-")));
    const script = path.join(dir, "agent.mjs");
    writeFileSync(script, `let s = ""; process.stdin.on("data", (c) => (s += c)); process.stdin.on("end", () => { const d = JSON.parse(s); console.log("executing " + d.task.rule + " " + JSON.stringify(d.plan)); });`);
    server = await startTestServer({
      github: { token: "t", apiUrl: fake.url, writeIntervalMs: 0 },
      agents: { ExecutionAgent: { exec: [process.execPath, script] } },
    }, undefined, { env: { PATH: process.env.PATH } });
    const labeled = exampleOf("issues", "labeled") as unknown as Payload;
    labeled.label = { id: 1, name: "agent-execute", color: "ededed" };
    labeled.issue.body = "- [ ] Do the thing\n- [x] Write the tests";
    fake.seedFromPayload("issues", labeled);
    fake.repo(labeled.repository.full_name).setPermission(labeled.sender.login, "write");
    const res = await server.deliver("issues", labeled);
    const delivery = res.body.delivery as string;
    const execution = await waitFor(async () => {
      const tasks = await server!.store.listTasks({ delivery, limit: 10 });
      const t = tasks.find((x) => x.agent === "ExecutionAgent");
      return t && t.status === "succeeded" ? t : null;
    }, 20_000);
    const full = await server.store.getTask(execution.id);
    // The plan it was handed is the one posted: the same steps, with their agent kinds.
    const handedPlan = JSON.parse(full!.attemptLog[0]!.output!.trim().slice("executing execute-plan ".length));
    expect(handedPlan).toEqual({
      issue: labeled.issue.number,
      steps: [
        { text: "Do the thing", done: false, agent: "CodeGenAgent" },
        { text: "Write the tests", done: true, agent: "TestAgent" },
      ],
    });
    const plan = fake.repo(labeled.repository.full_name).comments(labeled.issue.number).find((c) => c.body.includes("Plan for #"));
    expect(plan?.body).toContain(`Handed to **ExecutionAgent** as task ${execution.id}`);
    expect(plan?.body).toMatch(/Do the thing — \*\*CodeGenAgent\*\*/);
  });
});

describe("comments: every", () => {
  it("posts one routing comment per event, holding the rows of all its tasks", async () => {
    fake = await startGithubFake();
    const dir = (scriptDir = mkdtempSync(path.join(tmpdir(), "switchyard-every-")));
    const script = path.join(dir, "agent.mjs");
    writeFileSync(script, `process.stdin.resume(); process.stdin.on("end", () => console.log("ok"));`);
    server = await startTestServer({
      github: { token: "t", apiUrl: fake.url, writeIntervalMs: 0 },
      comments: "every",
      agents: { ExecutionAgent: { exec: [process.execPath, script] } },
    }, undefined, { env: { PATH: process.env.PATH } });
    const labeled = exampleOf("issues", "labeled") as unknown as Payload;
    labeled.label = { id: 1, name: "agent-execute", color: "ededed" };
    fake.seedFromPayload("issues", labeled);
    fake.repo(labeled.repository.full_name).setPermission(labeled.sender.login, "write");
    const res = await server.deliver("issues", labeled);
    const delivery = res.body.delivery as string;
    // The label's delivery runs two tasks: CoordinatorAgent, then the ExecutionAgent it hands the plan to.
    await waitFor(async () => {
      const tasks = await server!.store.listTasks({ delivery, limit: 10 });
      return tasks.length === 2 && tasks.every((t) => t.status === "succeeded") ? tasks : null;
    }, 20_000);
    const routing = () => fake!.repo(labeled.repository.full_name).comments(labeled.issue.number).filter((c) => c.body.includes("switchyard:routing"));
    await waitFor(() => (routing()[0]?.body.match(/<!-- task:/g)?.length ?? 0) === 2, 10_000);
    expect(routing()).toHaveLength(1);
    expect(routing()[0]!.body).toContain(`<!-- switchyard:routing:${delivery} -->`);
    expect(routing()[0]!.body).toMatch(/CoordinatorAgent[\s\S]*ExecutionAgent|ExecutionAgent[\s\S]*CoordinatorAgent/);
  });
});
