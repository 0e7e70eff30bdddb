import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agents/agent.js";
import { deployDefaultBranch, deploymentAgent, rollback } from "../../src/agents/builtin/deployment-agent/deployment-agent.js";
import { guardian } from "../../src/agents/builtin/guardian/guardian.js";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf, examplesOf } from "../support/examples.js";
import { fakeSha, startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { runCli } from "../support/serve-process.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { deliverAndSettle as settle } from "../support/deliver-and-settle.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

const OWNER = "octo-org";
let fake: GithubFake;
let server: TestServer;
let n = 0;
let repo = "";

/** Runs `rollback` through a real task: the coordinator that will call it is wired separately. */
const rollbackProbe: Agent = { name: "RollbackProbe", help: "test only", handle: async (ctx) => ({ output: (await rollback(ctx)).summary }) };
const deployProbe: Agent = { name: "DeployProbe", help: "test only", handle: async (ctx) => ({ output: (await deployDefaultBranch(ctx)).summary }) };
const PROBE_RULES = [
  { id: "test-rollback", when: { event: "repository_dispatch", action: "rollback" }, agent: "RollbackProbe", priority: "critical", action: "Roll back" },
  { id: "test-deploy", when: { event: "repository_dispatch", action: "deploy" }, agent: "DeployProbe", priority: "critical", action: "Deploy" },
];
const GITHUB = { token: "t", writeIntervalMs: 0 };
const RETRY = { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 200 };

function inRepo(payload: Payload): Payload {
  const [owner, name] = repo.split("/");
  payload.repository = { ...payload.repository, full_name: repo, name, default_branch: "main", owner: { ...payload.repository.owner, login: owner } };
  payload.sender = { ...payload.sender, login: "maintainer", type: "User" };
  return payload;
}

function pushOf(sha: string): Payload {
  return inRepo({ ...(exampleOf("push") as unknown as Payload), ref: "refs/heads/main", after: sha, deleted: false, created: false });
}

function mergeOf(sha: string, number = 7): Payload {
  const payload = inRepo(exampleOf("pull_request", "closed") as unknown as Payload);
  Object.assign(payload.pull_request, { number, merged: true, merge_commit_sha: sha, base: { ...payload.pull_request.base, ref: "main" } });
  payload.number = number;
  return payload;
}

function runOf(id: number, conclusion: string): Payload {
  const payload = inRepo(examplesOf("workflow_run", "completed")[1] as unknown as Payload);
  Object.assign(payload.workflow_run, { id, conclusion, head_branch: "main", run_attempt: 1, html_url: `https://github.com/${repo}/actions/runs/${id}` });
  return payload;
}

/**
 * A run of the workflow for a pull request from a fork: its head repository is the fork, and
 * its head branch (the fork's) is called `main` like the repository's default branch.
 */
function forkRunOf(id: number, conclusion: string, name?: string): Payload {
  const payload = runOf(id, conclusion);
  payload.workflow_run.event = "pull_request";
  payload.workflow_run.head_repository = { ...payload.workflow_run.head_repository, id: 987_654, full_name: "attacker/r", name: "r", owner: { login: "attacker" } };
  if (name !== undefined) payload.workflow_run.name = name;
  return payload;
}

/** An `/agent …` comment by a maintainer with write access, on issue 1 of the current repository. */
function commandOf(body: string): Payload {
  const payload = inRepo(exampleOf("issue_comment", "created") as unknown as Payload);
  payload.issue = { ...payload.issue, number: 1, pull_request: undefined };
  payload.comment = { ...payload.comment, id: Math.floor(Math.random() * 1e9), body, author_association: "OWNER", user: { ...payload.comment.user, login: "maintainer", type: "User" } };
  fake.seedFromPayload("issue_comment", payload);
  fake.repo(repo).setPermission("maintainer", "write");
  return payload;
}

const replies = () => fake.repo(repo).comments(1).map((c) => c.body).filter((b) => b.includes("switchyard:reply"));

async function deliverAndSettle(target: TestServer, event: string, payload: Payload): Promise<TaskRecord[]> {
  fake.seedFromPayload(event, payload);
  return settle(target, event, payload);
}

async function outputOf(target: TestServer, task: TaskRecord): Promise<string> {
  return (await target.store.getTask(task.id))!.attemptLog.at(-1)?.output ?? "";
}

const statesOf = (id: number) => fake.repo(repo).deploymentStatuses(id).map((s) => s.state);

/**
 * Plays the external deployer GitHub's model expects (one listening to the `deployment`
 * event): reports `success` on every deployment of the repository, through the REST API.
 */
async function externalDeployerSucceeds(): Promise<void> {
  const octokit = new Octokit({ auth: "deployer-token", baseUrl: fake.url });
  const [owner, name] = repo.split("/") as [string, string];
  for (const deployment of fake.repo(repo).deployments) {
    if (statesOf(deployment.id).includes("success")) continue;
    await octokit.request("POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses", { owner, repo: name, deployment_id: deployment.id, state: "success" });
  }
}

/** The deployment statuses switchyard itself sent: never `success`, which only a deployer may claim. */
const statesSentBySwitchyard = () =>
  fake.requests.filter((r) => r.method === "POST" && r.path.startsWith(`/repos/${repo}/deployments/`) && r.authorization !== "token deployer-token").map((r) => (r.body as { state: string }).state);

beforeAll(async () => {
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  server = await startTestServer(
    { github: { ...GITHUB, apiUrl: fake.url }, retry: RETRY, routing: { rules: PROBE_RULES } },
    undefined,
    { agents: [deploymentAgent, guardian, rollbackProbe, deployProbe], pollMs: 50 },
  );
});
afterAll(async () => {
  await server.stop();
  await fake.close();
});
beforeEach(() => {
  repo = `${OWNER}/deploy-${++n}`;
  fake.clearFaults();
});

describe("DeploymentAgent under serve", () => {
  it("makes ONE deployment when the merge and the push of its sha arrive at the same moment", async () => {
    const sha = fakeSha(`${repo}:merge`);
    const [merged, pushed] = await Promise.all([deliverAndSettle(server, "pull_request", mergeOf(sha)), deliverAndSettle(server, "push", pushOf(sha))]);
    expect([merged![0]!.status, pushed![0]!.status].sort()).toEqual(["skipped", "succeeded"]);
    const deployments = fake.repo(repo).deployments;
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ sha, ref: sha, environment: "production" });
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("creates a deployment for a push to the default branch and leaves it queued: no deployer is configured", async () => {
    const sha = fakeSha(`${repo}:push`);
    const [task] = await deliverAndSettle(server, "push", pushOf(sha));
    expect(task!.status).toBe("succeeded");
    const [deployment] = fake.repo(repo).deployments;
    expect(deployment).toMatchObject({ sha, description: `main at ${sha.slice(0, 7)}, by switchyard`, payload: { switchyard: { task: task!.id, delivery: task!.delivery, branch: "main" } } });
    expect(statesOf(deployment!.id)).toEqual(["queued"]);
    expect(fake.repo(repo).deploymentStatuses(deployment!.id)[0]!.description).toBe("waiting for an external deployer: switchyard has no deployer configured");
    expect(await outputOf(server, task!)).toMatch(
      /^deployment of \w{7} \(main\) to production: deployment \d+ created and left queued for an external deployer: no deployer is configured \(set deploy\.workflow, or give DeploymentAgent an exec or http executor\)$/,
    );
    expect(statesSentBySwitchyard()).toEqual(["queued"]);
  });

  it("leaves a sha that already has a deployment alone (GitHub's state, not only the store)", async () => {
    const sha = fakeSha(`${repo}:old`);
    const seeded = fake.repo(repo).addDeployment({ sha, statuses: ["success"] });
    const [task] = await deliverAndSettle(server, "push", pushOf(sha));
    expect(task!.status).toBe("succeeded");
    expect(fake.repo(repo).deployments.map((d) => d.id)).toEqual([seeded.id]);
    expect(await outputOf(server, task!)).toContain(`deployment ${seeded.id} of ${sha.slice(0, 7)} to production exists already`);
  });

  it("finishes, on retry, the deployment its first attempt created instead of making a twin", async () => {
    fake.failNext({ method: "POST", path: new RegExp(`^/repos/${repo}/deployments/\\d+/statuses$`), status: 502 });
    const [task] = await deliverAndSettle(server, "push", pushOf(fakeSha(`${repo}:retry`)));
    expect(task).toMatchObject({ status: "succeeded", attempts: 2 });
    const deployments = fake.repo(repo).deployments;
    expect(deployments).toHaveLength(1);
    expect(statesOf(deployments[0]!.id)).toEqual(["queued"]);
  });

  it("/agent rollback deploys the previous successful sha again, as a new deployment left queued", async () => {
    const [a, b] = [fakeSha(`${repo}:a`), fakeSha(`${repo}:b`)];
    await deliverAndSettle(server, "push", pushOf(a));
    await externalDeployerSucceeds();
    await deliverAndSettle(server, "push", pushOf(b));
    await externalDeployerSucceeds();
    const [task] = await deliverAndSettle(server, "issue_comment", commandOf("/agent rollback"));
    expect(task).toMatchObject({ agent: "CoordinatorAgent", status: "succeeded" });
    expect(replies()[0]).toMatch(/rollback of production from \w{7} to \w{7} \(main\): deployment \d+ created and left queued for an external deployer: no deployer is configured/);
    const deployments = fake.repo(repo).deployments;
    expect(deployments.map((d) => d.sha)).toEqual([a, b, a]);
    expect(deployments[2]!.description).toBe(`rollback to ${a.slice(0, 7)} (from ${b.slice(0, 7)})`);
    expect(statesOf(deployments[2]!.id)).toEqual(["queued"]);
  });

  it("rolls back through the agent API too (the same function the coordinator calls)", async () => {
    const [a, b] = [fakeSha(`${repo}:a`), fakeSha(`${repo}:b`)];
    await deliverAndSettle(server, "push", pushOf(a));
    await externalDeployerSucceeds();
    await deliverAndSettle(server, "push", pushOf(b));
    await externalDeployerSucceeds();
    const [task] = await deliverAndSettle(server, "repository_dispatch", inRepo({ action: "rollback", branch: "main", client_payload: {}, repository: pushOf(a).repository }));
    expect(task).toMatchObject({ agent: "RollbackProbe", status: "succeeded" });
    expect(fake.repo(repo).deployments.map((d) => d.sha)).toEqual([a, b, a]);
    expect(await outputOf(server, task!)).toMatch(/^rollback of production from \w{7} to \w{7} \(main\): deployment \d+ created and left queued/);
  });

  it("/agent deploy deploys the default branch's head; a read-only commenter is refused", async () => {
    const sha = fakeSha(`${repo}:cmd-head`);
    fake.repo(repo).setBranch("main", sha);
    const refused = commandOf("/agent deploy");
    refused.comment.author_association = "COLLABORATOR";
    refused.comment.user.login = "reader";
    refused.sender.login = "reader";
    fake.repo(repo).setPermission("reader", "read");
    await deliverAndSettle(server, "issue_comment", refused);
    expect(fake.repo(repo).deployments).toEqual([]);
    // An environment argument is not silently dropped in favour of production: nothing is done.
    await deliverAndSettle(server, "issue_comment", commandOf("/agent deploy staging"));
    expect(fake.repo(repo).deployments).toEqual([]);
    expect(replies().some((r) => r.includes("`deploy` takes no argument") && r.includes("**production**"))).toBe(true);
    await deliverAndSettle(server, "issue_comment", commandOf("/agent deploy"));
    expect(fake.repo(repo).deployments.map((d) => d.sha)).toEqual([sha]);
    expect(replies().some((r) => r.includes(`deployment of ${sha.slice(0, 7)} (main) to production`) && r.includes("left queued"))).toBe(true);
  });

  it("deploys the head of the default branch on request, once", async () => {
    const sha = fakeSha(`${repo}:head`);
    fake.repo(repo).setBranch("main", sha);
    const request = () => inRepo({ action: "deploy", client_payload: { n: Math.random() }, repository: pushOf(sha).repository });
    const [task] = await deliverAndSettle(server, "repository_dispatch", request());
    expect(await outputOf(server, task!)).toMatch(new RegExp(`^deployment of ${sha.slice(0, 7)} \\(main\\) to production: deployment \\d+ created and left queued`));
    const [again] = await deliverAndSettle(server, "repository_dispatch", request());
    expect(await outputOf(server, again!)).toMatch(/exists already/);
    expect(fake.repo(repo).deployments.map((d) => d.sha)).toEqual([sha]);
  });

  it("says there is nothing to roll back while no deployer has reported success, or after a single deployment, and creates none", async () => {
    await deliverAndSettle(server, "push", pushOf(fakeSha(`${repo}:only`)));
    const rollbackRequest = () => inRepo({ action: "rollback", client_payload: { n: Math.random() }, repository: pushOf("0").repository });
    const [queuedOnly] = await deliverAndSettle(server, "repository_dispatch", rollbackRequest());
    expect(await outputOf(server, queuedOnly!)).toBe("nothing to roll back: no deployment to production has succeeded");
    await externalDeployerSucceeds();
    const [task] = await deliverAndSettle(server, "repository_dispatch", rollbackRequest());
    expect(task!.status).toBe("succeeded");
    expect(await outputOf(server, task!)).toMatch(/^nothing to roll back to: \w{7} is the only sha/);
    expect(fake.repo(repo).deployments).toHaveLength(1);
  });

  it("says on the merged pull request's routing comment that no deployer is configured", async () => {
    const sha = fakeSha(`${repo}:comment`);
    const [task] = await deliverAndSettle(server, "pull_request", mergeOf(sha, 11));
    expect(task!.status).toBe("succeeded");
    const routing = fake.repo(repo).comments(11).find((c) => c.body.includes("<!-- switchyard:routing -->"));
    expect(routing?.body).toMatch(/\| DeploymentAgent \(pr-merged\) \| succeeded \(no deployer is configured: deployments are left queued\) <!-- task:/);
    expect(statesOf(fake.repo(repo).deployments[0]!.id)).toEqual(["queued"]);
  });
});

describe("DeploymentAgent with a deploy workflow", () => {
  let withWorkflow: TestServer;
  beforeAll(async () => {
    withWorkflow = await startTestServer({ github: { ...GITHUB, apiUrl: fake.url }, retry: RETRY, deploy: { workflow: "deploy.yml" } }, undefined, { agents: [deploymentAgent], pollMs: 50 });
  });
  afterAll(async () => {
    await withWorkflow.stop();
  });

  it("queues the deployment and dispatches the workflow on the branch with its id, sha and environment", async () => {
    fake.repo(repo).addWorkflow({ file: "deploy.yml", inputs: ["deployment_id", "sha", "environment"] });
    const sha = fakeSha(`${repo}:wf`);
    const [task] = await deliverAndSettle(withWorkflow, "push", pushOf(sha));
    expect(task!.status).toBe("succeeded");
    const [deployment] = fake.repo(repo).deployments;
    expect(statesOf(deployment!.id)).toEqual(["queued"]);
    expect(await outputOf(withWorkflow, task!)).toMatch(/^deployment of \w{7} \(main\) to production: deployment \d+ queued; workflow deploy\.yml dispatched on main reports the outcome$/);
    expect(fake.repo(repo).dispatches).toEqual([{ workflow_id: expect.any(Number), workflow_path: ".github/workflows/deploy.yml", ref: "main", inputs: { deployment_id: String(deployment!.id), sha, environment: "production" } }]);
  });

  it("marks the deployment error when GitHub refuses the dispatch, and gives up", async () => {
    fake.repo(repo).addWorkflow({ file: "deploy.yml", inputs: [] });
    const [task] = await deliverAndSettle(withWorkflow, "push", pushOf(fakeSha(`${repo}:refused`)));
    expect(task).toMatchObject({ status: "dead", attempts: 1 });
    const [deployment] = fake.repo(repo).deployments;
    expect(statesOf(deployment!.id)).toEqual(["queued", "error"]);
    expect(fake.repo(repo).deploymentStatuses(deployment!.id)[1]!.description).toMatch(/could not dispatch workflow deploy\.yml/);
  });
});

describe("DeploymentAgent without credentials", () => {
  let dry: TestServer;
  beforeAll(async () => {
    dry = await startTestServer({ github: { apiUrl: fake.url, writeIntervalMs: 0 } }, undefined, { agents: [deploymentAgent], pollMs: 50 });
  });
  afterAll(async () => {
    await dry.stop();
  });

  it("says it could not check GitHub, and only records the deployment", async () => {
    const before = fake.requests.length;
    const [task] = await deliverAndSettle(dry, "push", pushOf(fakeSha(`${repo}:dry`)));
    expect(task!.status).toBe("succeeded");
    expect(await outputOf(dry, task!)).toMatch(
      /^could not check GitHub for an existing deployment \(no credentials\); dry-run: recorded a deployment of \w{7} \(main\) to production; would leave it queued for an external deployer: no deployer is configured/,
    );
    const recorded = await dry.store.listGithubActions({ task: task!.id, limit: 10 });
    expect(recorded.map((a) => [a.method, a.route, a.dryRun])).toEqual([["POST", "/repos/{owner}/{repo}/deployments", true]]);
    expect(fake.requests.slice(before).filter((r) => r.path.includes("/deployments"))).toEqual([]);
  });
});

describe("Guardian", () => {
  const escalations = () => fake.repo(repo).issues.filter((i) => i.labels.includes("guardian:escalation"));

  it("opens one escalation per failing workflow, comments on repeats, and closes it on success", async () => {
    const [first] = await deliverAndSettle(server, "workflow_run", runOf(101, "failure"));
    expect(first).toMatchObject({ agent: "Guardian", status: "succeeded" });
    const [second] = await deliverAndSettle(server, "workflow_run", runOf(102, "timed_out"));
    expect(second!.status).toBe("succeeded");

    const [issue] = escalations();
    expect(escalations()).toHaveLength(1);
    expect(issue).toMatchObject({ title: 'Workflow "test" is failing', state: "open" });
    expect(issue!.body).toContain(`https://github.com/${repo}/actions/runs/101`);
    expect(issue!.body).toContain("<!-- switchyard:guardian:.github/workflows/test.yml -->");
    expect(fake.repo(repo).labels.find((l) => l.name === "guardian:escalation")?.color).toBe("b60205");
    const failures = fake.repo(repo).comments(issue!.number);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.body).toContain("runs/102");
    expect(failures[0]!.body).toContain("` timed_out `");

    // The close fails once: the retry must close it without commenting a second time.
    fake.failNext({ method: "PATCH", path: `/repos/${repo}/issues/${issue!.number}`, status: 502 });
    const [recovered] = await deliverAndSettle(server, "workflow_run", runOf(103, "success"));
    expect(recovered).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(fake.repo(repo).issue(issue!.number)!.state).toBe("closed");
    const comments = fake.repo(repo).comments(issue!.number);
    expect(comments).toHaveLength(2);
    expect(comments[1]!.body).toMatch(/succeeded again: \[run 103\]\(.*runs\/103\)/);

    const [quiet] = await deliverAndSettle(server, "workflow_run", runOf(104, "success"));
    expect(await outputOf(server, quiet!)).toBe('"test" succeeded; no escalation is open for it');
    expect(fake.repo(repo).comments(issue!.number)).toHaveLength(2);
  });

  it("leaves alone an issue someone else opened with the escalation's label and title: it opens, reports on and closes its own", async () => {
    const planted = fake.repo(repo).addIssue({ title: 'Workflow "test" is failing', labels: ["guardian:escalation"], body: "[see the logs](https://evil.example)", user: "mallory" });
    await deliverAndSettle(server, "workflow_run", runOf(301, "failure"));
    await deliverAndSettle(server, "workflow_run", runOf(302, "failure"));
    const own = escalations().filter((i) => i.number !== planted.number);
    expect(own.map((i) => i.user)).toEqual(["switchyard-bot"]);
    expect(fake.repo(repo).comments(own[0]!.number).map((c) => c.body).join("\n")).toContain("runs/302");

    const [recovered] = await deliverAndSettle(server, "workflow_run", runOf(303, "success"));
    expect(await outputOf(server, recovered!)).toBe(`"test" succeeded again: closed escalation #${own[0]!.number}`);
    expect(fake.repo(repo).issue(own[0]!.number)!.state).toBe("closed");
    expect(fake.repo(repo).issue(planted.number)!.state).toBe("open");
    expect(fake.repo(repo).comments(planted.number)).toEqual([]);
  });

  it("a fork's pull request run named like the repository's branch neither closes the escalation nor opens one", async () => {
    await deliverAndSettle(server, "workflow_run", runOf(401, "failure"));
    const [issue] = escalations();
    expect(issue).toMatchObject({ state: "open", user: "switchyard-bot" });

    const recovered = await deliverAndSettle(server, "workflow_run", forkRunOf(402, "success"));
    expect(recovered).toEqual([]);
    expect(fake.repo(repo).issue(issue!.number)!.state).toBe("open");
    expect(fake.repo(repo).comments(issue!.number)).toEqual([]);

    const failed = await deliverAndSettle(server, "workflow_run", forkRunOf(403, "failure", "Spoofed @octo-org/admins"));
    expect(failed).toEqual([]);
    expect(escalations().map((i) => i.number)).toEqual([issue!.number]);
    expect(fake.repo(repo).comments(issue!.number)).toEqual([]);
  });

  it("writes a hostile workflow name as text: no live mention, image, link or HTML", async () => {
    const name = "CI @octo-org/admins ![x](https://evil.example/i.png) [login](https://evil.example) <img src=x onerror=alert(1)>";
    const failure = runOf(501, "failure");
    failure.workflow_run.name = name;
    const [task] = await deliverAndSettle(server, "workflow_run", failure);
    expect(task!.status).toBe("succeeded");
    const [issue] = escalations();
    expect(issue!.title).toBe(`Workflow "${name}" is failing`);
    expect(issue!.body).toContain("**CI @&#8203;octo\\-org/admins \\!\\[x\\]\\(https\\://evil\\.example/i\\.png\\)");
    for (const live of ["@octo-org", "![x](", "](https://evil", "<img"]) expect(issue!.body).not.toContain(live);

    const recovery = runOf(502, "success");
    recovery.workflow_run.name = name;
    await deliverAndSettle(server, "workflow_run", recovery);
    const [comment] = fake.repo(repo).comments(issue!.number);
    expect(comment!.body).toContain("succeeded again");
    for (const live of ["@octo-org", "![x](", "](https://evil", "<img"]) expect(comment!.body).not.toContain(live);
    expect(fake.repo(repo).issue(issue!.number)!.state).toBe("closed");
  });

  it("keeps one issue when two failures of one workflow are handled at once", async () => {
    await Promise.all([deliverAndSettle(server, "workflow_run", runOf(201, "failure")), deliverAndSettle(server, "workflow_run", runOf(202, "failure"))]);
    expect(escalations()).toHaveLength(1);
    expect(fake.repo(repo).comments(escalations()[0]!.number)).toHaveLength(1);
  });
});

describe("Guardian behind a rule that routes every workflow run", () => {
  let anyRun: TestServer;
  const escalations = () => fake.repo(repo).issues.filter((i) => i.labels.includes("guardian:escalation"));
  beforeAll(async () => {
    const rules = [{ id: "every-run", when: { event: "workflow_run", action: "completed" }, agent: "Guardian", priority: "critical", action: "Report any run" }];
    anyRun = await startTestServer({ github: { ...GITHUB, apiUrl: fake.url }, retry: RETRY, routing: { rules } }, undefined, { agents: [guardian], pollMs: 50 });
  });
  afterAll(async () => {
    await anyRun.stop();
  });

  it("still never reports a fork's run: it neither opens, comments on nor closes an escalation", async () => {
    await deliverAndSettle(anyRun, "workflow_run", runOf(601, "failure"));
    const [issue] = escalations();
    const tasks = [...(await deliverAndSettle(anyRun, "workflow_run", forkRunOf(602, "failure"))), ...(await deliverAndSettle(anyRun, "workflow_run", forkRunOf(603, "success")))];
    expect(tasks.map((t) => [t.rule, t.status])).toEqual([["every-run", "succeeded"], ["every-run", "succeeded"]]);
    expect(await outputOf(anyRun, tasks[1]!)).toBe(`the workflow run is from attacker/r, not ${repo}: its branch main is not this repository's: Guardian reports only the repository's own runs; nothing done`);
    expect(escalations().map((i) => [i.number, i.state])).toEqual([[issue!.number, "open"]]);
    expect(fake.repo(repo).comments(issue!.number)).toEqual([]);

    // The repository's own run still closes it.
    await deliverAndSettle(anyRun, "workflow_run", runOf(604, "success"));
    expect(fake.repo(repo).issue(issue!.number)!.state).toBe("closed");
  });
});

describe("DeploymentAgent in Actions mode (route as a process, fresh store each run)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-deploy-actions-"));
    writeFileSync(path.join(dir, "switchyard.config.yaml"), "github:\n  writeIntervalMs: 0\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("deploys the merge once: the push of the same sha finds the deployment on GitHub", async () => {
    const sha = fakeSha(`${repo}:actions`);
    for (const [event, payload] of [["pull_request", mergeOf(sha, 9)], ["push", pushOf(sha)]] as const) {
      fake.seedFromPayload(event, payload);
      const file = path.join(dir, `${event}.json`);
      writeFileSync(file, JSON.stringify(payload));
      const result = await runCli(["route", "--json"], { cwd: dir, env: { GITHUB_EVENT_NAME: event, GITHUB_EVENT_PATH: file, GITHUB_TOKEN: "t", GITHUB_API_URL: fake.url, LOG_LEVEL: "silent" } });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).tasks).toMatchObject([{ agent: "DeploymentAgent", status: "succeeded" }]);
    }
    expect(fake.repo(repo).deployments.map((d) => d.sha)).toEqual([sha]);
    expect(fake.requests.filter((r) => r.method === "POST" && r.path === `/repos/${repo}/deployments`)).toHaveLength(1);
  });
});
