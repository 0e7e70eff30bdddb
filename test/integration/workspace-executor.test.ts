import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runInline } from "../../src/app/run-inline.js";
import { startServer, type RunningServer } from "../../src/app/start-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { signPayload } from "../../src/security/verify-signature.js";
import type { TaskRecord } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server.js";
import { startGithubFake, type GithubFake } from "../support/github-fake/index.js";
import { TEST_SECRET } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are mutated freely here
type Payload = Record<string, any>;

/** Not GitHub-shaped on purpose: found (or not) by its value, not by a token pattern. */
const TOKEN = "sekrit-4f9a2c71e0b3d5";
const TOKEN_HEADER = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
const API_KEY = "agent-key-9d8c7b6a5f";
const OWNER = "octo-org";

let tmp: string;
let home: string;
let records: string;
let workspaces: string;
let fake: GithubFake;
let gitServer: GitHttpServer;
let server: RunningServer;
const logLines: string[] = [];
let nextRepo = 0;
let repoName = "";

function git(args: string[], cwd: string): string {
  return execFileSync("git", args, { cwd, env: { PATH: process.env.PATH, HOME: home }, encoding: "utf8" }).trim();
}

/** The remote: a bare repository served over HTTP, with one commit on main. */
function createRemote(name: string): string {
  const bare = path.join(tmp, "git", OWNER, `${name}.git`);
  const seed = path.join(tmp, "seed", name);
  mkdirSync(seed, { recursive: true });
  git(["init", "--quiet", "-b", "main"], seed);
  writeFileSync(path.join(seed, "README.md"), "# app\n");
  git(["add", "."], seed);
  git(["-c", "user.name=Human", "-c", "user.email=human@example.com", "commit", "--quiet", "-m", "first"], seed);
  git(["clone", "--quiet", "--bare", seed, bare], tmp);
  return bare;
}

const remoteDir = (): string => path.join(tmp, "git", OWNER, `${repoName}.git`);
const remoteSha = (ref: string): string | null => {
  try {
    return git(["rev-parse", "--verify", "--quiet", `refs/heads/${ref}`], remoteDir());
  } catch {
    return null;
  }
};

/** The agent: its behaviour comes from a `mode:` line in the command's comment (or the issue). */
const AGENT = `
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
const records = process.env.RECORDS ?? ${JSON.stringify("RECORDS_DIR")};
let input = "";
for await (const chunk of process.stdin) input += chunk;
const doc = JSON.parse(input);
const mode = /mode: (\\w+)/.exec(\`\${doc.payload?.comment?.body ?? ""}\\n\${doc.issue.body}\`)?.[1] ?? "edit";
const promptFile = process.argv[process.argv.indexOf("--prompt-file") + 1];
const run = { cwd: process.cwd(), env: process.env, mode, prompt: readFileSync(promptFile, "utf8"), workspace: doc.workspace, plan: doc.plan };
writeFileSync(path.join(records, \`run-\${doc.task.id}-\${doc.task.attempt}.json\`), JSON.stringify(run));
function walk(dir, skip) {
  let text = "";
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (skip.includes(name)) continue;
    if (statSync(full).isDirectory()) text += walk(full, skip);
    else text += \`== \${full}\\n\${readFileSync(full, "latin1")}\\n\`;
  }
  return text;
}
if (mode === "edit") {
  appendFileSync("README.md", \`attempt \${doc.task.attempt} of task \${doc.task.id}\\n\`);
  mkdirSync("notes", { recursive: true });
  writeFileSync("notes/issue.txt", doc.issue.title + "\\n");
  // Everything the agent could read in its workspace: the worktree and git's shared directory.
  const common = path.resolve(execFileSync("git", ["rev-parse", "--git-common-dir"], { encoding: "utf8" }).trim());
  writeFileSync(path.join(records, \`snapshot-\${doc.task.id}-\${doc.task.attempt}.txt\`), walk(".", [".git"]) + walk(common, ["objects"]) + readFileSync(".git", "utf8"));
  console.log("edited README.md and notes/issue.txt");
} else if (mode === "none") {
  console.log("nothing to do here");
} else if (mode === "fail") {
  console.log("compiling…");
  console.error(\`boom: the model refused (key \${process.env.AGENT_API_KEY})\`);
  // What an agent that read switchyard's /proc/<pid>/environ could print.
  console.error("webhook secret ${TEST_SECRET}");
  // Output that tries to close the fence and the <details> around it.
  console.log("\\\`\\\`\\\`\\n~~~~\\n</details>\\n@octo-org/everyone ![pwn](https://evil.example/x.png)");
  process.exit(3);
} else if (mode === "tempfail") {
  console.log("rate limited by the model, try later");
  process.exit(75);
} else if (mode === "hang") {
  console.log("thinking very hard");
  setInterval(() => {}, 1000);
}
`;

function issuePayload(number: number, body: string, labels: string[] = []): Payload {
  const payload = exampleOf("issues", "opened") as unknown as Payload;
  payload.repository.full_name = `${OWNER}/${repoName}`;
  payload.repository.name = repoName;
  payload.repository.owner.login = OWNER;
  payload.repository.default_branch = "main";
  payload.issue.number = number;
  payload.issue.title = "Add a notes file for the login page";
  payload.issue.body = body;
  payload.issue.labels = labels.map((name, i) => ({ id: i + 1, name, color: "ededed", default: false, description: null }));
  delete payload.issue.pull_request;
  payload.sender = { ...payload.sender, login: "maintainer", type: "User" };
  return payload;
}

function commandPayload(issue: Payload, body: string): Payload {
  const payload = exampleOf("issue_comment", "created") as unknown as Payload;
  payload.repository = issue.repository;
  payload.issue = { ...issue.issue };
  payload.comment.id = Math.floor(Math.random() * 1e9);
  payload.comment.body = body;
  payload.comment.author_association = "OWNER";
  payload.comment.user = { ...payload.comment.user, login: "maintainer", type: "User" };
  payload.sender = { ...payload.sender, login: "maintainer", type: "User" };
  return payload;
}

let deliveries = 0;
async function deliver(event: string, payload: Payload): Promise<string> {
  fake.seedFromPayload(event, payload);
  const body = Buffer.from(JSON.stringify(payload));
  const delivery = `ws-${process.pid}-${++deliveries}`;
  const res = await fetch(server.webhookUrl!, {
    method: "POST",
    headers: { "content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery, "x-hub-signature-256": signPayload(TEST_SECRET, body) },
    body,
  });
  expect(res.status).toBe(202);
  return delivery;
}

async function executionTask(delivery: string, statuses: string[] = ["succeeded", "dead"]): Promise<TaskRecord> {
  return waitFor(async () => {
    const task = (await server.store.listTasks({ delivery, limit: 10 })).find((t) => t.agent === "ExecutionAgent");
    return task && statuses.includes(task.status) ? task : null;
  }, 30_000, 50);
}

const comments = (number: number) => fake.repo(`${OWNER}/${repoName}`).comments(number).map((c) => c.body);
const labelsOf = (number: number) => [...fake.repo(`${OWNER}/${repoName}`).issue(number)!.labels].sort();
const runRecord = (task: string, attempt: number) => JSON.parse(readFileSync(path.join(records, `run-${task}-${attempt}.json`), "utf8")) as { cwd: string; env: Record<string, string>; prompt: string; workspace: { branch: string; baseBranch: string } };
const branch = (number: number) => `switchyard/issue-${number}-add-a-notes-file-for-the-login-page`;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), "switchyard-workspace-"));
  home = path.join(tmp, "home");
  records = path.join(tmp, "records");
  workspaces = path.join(tmp, "workspaces");
  mkdirSync(home);
  mkdirSync(records);
  const script = path.join(tmp, "agent.mjs");
  writeFileSync(script, AGENT.replace("RECORDS_DIR", records));
  fake = await startGithubFake({ identity: { login: "switchyard-bot", type: "User" } });
  gitServer = await startGitHttpServer(path.join(tmp, "git"), TOKEN);
  const loaded = parseConfig({
    server: { port: 0, host: "127.0.0.1" },
    admin: { port: 0 },
    store: { url: `sqlite:${path.join(tmp, "switchyard.db")}` },
    github: { token: TOKEN, apiUrl: fake.url, writeIntervalMs: 0 },
    retry: { maxRetries: 1, initialDelayMs: 50, maxDelayMs: 100 },
    agents: {
      ExecutionAgent: {
        workspace: {
          run: [process.execPath, script, "--prompt-file", "{promptFile}"],
          timeout: "4s",
          env: ["AGENT_API_KEY"],
          remote: `${gitServer.url}/{owner}/{repo}.git`,
          dir: workspaces,
        },
      },
    },
  }, null, new Map());
  const logs = new PassThrough();
  logs.on("data", (chunk: Buffer) => logLines.push(...chunk.toString("utf8").split("\n").filter(Boolean)));
  server = await startServer({
    loaded,
    secrets: [TEST_SECRET],
    logger: createLogger("debug", logs),
    cwd: tmp,
    // GITHUB_TOKEN is in switchyard's environment too: the agent must not get it, since its env does not list it.
    env: { PATH: process.env.PATH, HOME: home, AGENT_API_KEY: API_KEY, GITHUB_TOKEN: TOKEN },
    pollMs: 50,
  });
});

afterAll(async () => {
  await server?.close();
  await gitServer?.close();
  await fake?.close();
  rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  repoName = `ws-${++nextRepo}`;
  createRemote(repoName);
  fake.repo(`${OWNER}/${repoName}`).setPermission("maintainer", "write");
});

describe("workspace executor: an agent that edits files", () => {
  it("pushes switchyard's branch, opens one pull request that closes the issue, and leaves main alone", async () => {
    const mainBefore = remoteSha("main");
    const issue = issuePayload(7, "Please add notes.\n\n- [ ] Write the notes file\n- [x] Agree on the wording", ["state:triage", "type:feature"]);
    fake.seedFromPayload("issues", issue);
    fake.repo(`${OWNER}/${repoName}`).addComment(7, { body: "Keep it short, please.", user: "maintainer" });
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit"));
    const task = await executionTask(delivery);
    expect(task.status).toBe("succeeded");

    // The branch: one commit of switchyard's on top of main, with the agent's edits.
    const head = remoteSha(branch(7));
    expect(head).not.toBeNull();
    expect(remoteSha("main")).toBe(mainBefore);
    expect(git(["rev-parse", `${head}^`], remoteDir())).toBe(mainBefore);
    expect(git(["show", `${head}:README.md`], remoteDir())).toContain(`attempt 1 of task ${task.id}`);
    expect(git(["show", `${head}:notes/issue.txt`], remoteDir())).toBe("Add a notes file for the login page");
    expect(git(["log", "-1", "--format=%an <%ae>%n%B", head!], remoteDir())).toMatch(/^switchyard <switchyard@users\.noreply\.github\.com>\n#7: Add a notes file[\s\S]*Switchyard-Issue: octo-org\/ws-\d+#7/);

    // The pull request: from the branch into main, closing the issue, with the plan and the run.
    const pulls = fake.repo(`${OWNER}/${repoName}`).pulls;
    expect(pulls).toHaveLength(1);
    const pull = pulls[0]!;
    expect(pull.head.ref).toBe(branch(7));
    expect(pull.base.ref).toBe("main");
    expect(pull.title).toBe("Add a notes file for the login page (#7)");
    expect(pull.body).toContain("Closes #7");
    expect(pull.body).toContain("- [ ] Write the notes file\n- [x] Agree on the wording");
    expect(pull.body).toContain("edited README.md and notes/issue.txt");
    expect(pull.labels).toEqual(["switchyard"]);
    expect(labelsOf(7)).toEqual(["state:reviewing", "type:feature"]);
    expect(comments(7).some((c) => c.includes(`Opened pull request #${pull.number}`) && c.includes(branch(7)))).toBe(true);

    // What the agent saw: a worktree on the branch, the prompt with the issue, plan and discussion.
    const run = runRecord(task.id, 1);
    expect(run.workspace).toMatchObject({ branch: branch(7), baseBranch: "main" });
    expect(run.cwd.startsWith(path.join(workspaces, "worktrees"))).toBe(true);
    expect(run.prompt).toContain("# octo-org/ws-1#7: Add a notes file for the login page");
    expect(run.prompt).toContain("- [ ] Write the notes file");
    expect(run.prompt).toContain("Keep it short, please.");
    expect(run.env.AGENT_API_KEY).toBe(API_KEY);
    // The worktree is gone once the run is over; the mirror stays for the next task.
    expect(existsSync(run.cwd)).toBe(false);
    expect(existsSync(path.join(workspaces, "mirrors", OWNER, `${repoName}.git`, "HEAD"))).toBe(true);
    expect(fake.unknownRoutes).toEqual([]);
  });

  it("never lets the token reach a workspace file, a log line or the agent; git gets it for fetch and push only", async () => {
    gitServer.requests.length = 0;
    const issue = issuePayload(8, "mode: edit");
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute"));
    const task = await executionTask(delivery);
    expect(task.status).toBe("succeeded");

    const run = runRecord(task.id, 1);
    expect(run.env.GITHUB_TOKEN).toBeUndefined();
    expect(JSON.stringify(run.env)).not.toContain(TOKEN);
    const snapshot = readFileSync(path.join(records, `snapshot-${task.id}-1.txt`), "utf8");
    expect(snapshot).toContain("README.md");
    expect(snapshot).not.toContain(TOKEN);
    expect(snapshot).not.toContain(TOKEN_HEADER);
    // Nor in what stays on disk after the run (the mirror, its config, the locks).
    const onDisk = listFiles(workspaces).filter((f) => !f.includes(`${path.sep}objects${path.sep}`)).map((f) => readFileSync(f, "latin1")).join("\n");
    expect(onDisk).not.toContain(TOKEN);
    expect(onDisk).not.toContain(TOKEN_HEADER);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes("workspace ready"))).toBe(true);
    expect(logLines.join("\n")).not.toContain(TOKEN);
    expect(logLines.join("\n")).not.toContain(TOKEN_HEADER);

    // The remote refuses anyone without the token: the fetch and the push carried it, and nothing else asked.
    const services = new Set(gitServer.requests.filter((r) => r.authorized).map((r) => r.service));
    expect(services).toEqual(new Set(["git-upload-pack", "git-receive-pack"]));
    expect(gitServer.requests.every((r) => r.authorized)).toBe(true);
  });

  it("a replay reuses the branch and updates the same pull request", async () => {
    const issue = issuePayload(9, "- [ ] Write the notes file");
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit"));
    const first = await executionTask(delivery);
    const firstHead = remoteSha(branch(9))!;
    const [pull] = fake.repo(`${OWNER}/${repoName}`).pulls;
    expect(pull!.body).toContain(`task ${first.id}, attempt 1`);

    const res = await fetch(`${server.adminUrl}/api/tasks/${first.id}/replay`, { method: "POST" });
    expect(res.status).toBe(200);
    await waitFor(async () => {
      const task = await server.store.getTask(first.id);
      return task?.status === "succeeded" && task.attempts === 2 ? task : null;
    }, 30_000, 50);

    // Fast-forward on the same branch: the first run's commit is the parent of the second's.
    const secondHead = remoteSha(branch(9))!;
    expect(secondHead).not.toBe(firstHead);
    expect(git(["rev-parse", `${secondHead}^`], remoteDir())).toBe(firstHead);
    expect(git(["show", `${secondHead}:README.md`], remoteDir())).toMatch(/attempt 1 of task \d+\nattempt 2 of task \d+$/);
    const pulls = fake.repo(`${OWNER}/${repoName}`).pulls;
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.number).toBe(pull!.number);
    expect(pulls[0]!.body).toContain(`task ${first.id}, attempt 2`);
    expect(comments(9).some((c) => c.includes(`Updated pull request #${pull!.number}`))).toBe(true);
    // One pull request created; the replay found it and edited it.
    expect(fake.requests.filter((r) => r.method === "POST" && r.path === `/repos/${OWNER}/${repoName}/pulls`)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === "PATCH" && r.path === `/repos/${OWNER}/${repoName}/pulls/${pull!.number}`)).toHaveLength(1);

    // Replaying the command's delivery re-runs the coordinator, whose plan ran already: it says
    // so, starts nothing, and leaves the issue's state where the run left it (reviewing).
    const labelsBefore = labelsOf(9);
    expect(labelsBefore).toContain("state:reviewing");
    const replay = await fetch(`${server.adminUrl}/api/deliveries/${delivery}/replay`, { method: "POST" });
    expect(replay.status).toBe(200);
    await waitFor(async () => {
      const coordinator = (await server.store.listTasks({ delivery, limit: 10 })).find((t) => t.agent === "CoordinatorAgent");
      return coordinator?.status === "succeeded" && coordinator.attempts === 2 ? coordinator : null;
    }, 30_000, 50);
    expect(comments(9).some((c) => c.includes(`handed to **ExecutionAgent** before, as task ${first.id} (now succeeded): nothing new was started`))).toBe(true);
    expect(labelsOf(9)).toEqual(labelsBefore);
    expect((await server.store.getTask(first.id))!.attempts).toBe(2);
  });
});

describe("workspace executor: an issue renamed, and GitHub failing around the run", () => {
  it("a later /agent execute on a renamed issue works on the earlier branch and edits the same pull request", async () => {
    const issue = issuePayload(15, "- [ ] Write the notes file");
    fake.seedFromPayload("issues", issue);
    const first = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
    expect(first.status).toBe("succeeded");
    const firstHead = remoteSha(branch(15))!;
    const [pull] = fake.repo(`${OWNER}/${repoName}`).pulls;

    const renamed = { ...issue, issue: { ...issue.issue, title: "Notes for the login page, renamed" } } as Payload;
    const second = await executionTask(await deliver("issue_comment", commandPayload(renamed, "/agent execute\nmode: edit")));
    expect(second.status).toBe("succeeded");
    expect(remoteSha("switchyard/issue-15-notes-for-the-login-page-renamed")).toBeNull();
    const secondHead = remoteSha(branch(15))!;
    expect(git(["rev-parse", `${secondHead}^`], remoteDir())).toBe(firstHead);
    expect(runRecord(second.id, 1).workspace.branch).toBe(branch(15));
    const pulls = fake.repo(`${OWNER}/${repoName}`).pulls;
    expect(pulls).toHaveLength(1);
    expect(pulls[0]!.title).toBe("Notes for the login page, renamed (#15)");
    expect(comments(15).some((c) => c.includes(`Updated pull request #${pull!.number}`) && c.includes(branch(15)))).toBe(true);
  });

  it("a GitHub 502 opening the pull request after the push is tried again within the attempt: the agent runs once", async () => {
    const issue = issuePayload(19, "- [ ] Write the notes file", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    fake.failNext({ method: "POST", path: `/repos/${OWNER}/${repoName}/pulls`, status: 502 });
    const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
    expect(task).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(fake.repo(`${OWNER}/${repoName}`).pulls).toHaveLength(1);
    // One commit of the agent's on the branch: it was not run again.
    expect(git(["rev-list", "--count", `main..${branch(19)}`], remoteDir())).toBe("1");
  });

  it("GitHub failing to open the pull request on every try of an attempt: retried, said as such, the state label kept, the first attempt's output kept", async () => {
    const issue = issuePayload(16, "- [ ] Write the notes file", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    fake.failNext({ method: "POST", path: `/repos/${OWNER}/${repoName}/pulls`, status: 502, times: 3 });
    const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
    expect(task.status).toBe("succeeded");
    expect(task.attempts).toBe(2);
    // The task's comment is edited in place: what it said along the way is in the requests that wrote it.
    const said = fake.requests
      .filter((r) => ["POST", "PATCH"].includes(r.method) && /\/issues\/(16\/)?comments/.test(r.path))
      .map((r) => String((r.body as { body?: unknown }).body))
      .join("\n");
    expect(said).toMatch(new RegExp(`⏳ The workspace run did not finish: pushed \`${branch(16)}\` at [0-9a-f]{7}, but its pull request was not opened: POST /repos/${OWNER}/${repoName}/pulls: HTTP 502 `));
    expect(said).not.toContain("❌");
    // Never rolled back between the attempts: triage taken off once at the start, implementing once for reviewing.
    const deletes = fake.requests.filter((r) => r.method === "DELETE" && r.path.startsWith(`/repos/${OWNER}/${repoName}/issues/16/labels/`));
    expect(deletes.map((r) => decodeURIComponent(r.path.split("/").pop()!))).toEqual(["state:triage", "state:implementing"]);
    expect(labelsOf(16)).toContain("state:reviewing");
    const attempts = (await server.store.getTask(task.id))!.attemptLog;
    expect(attempts[0]!.output).toContain("edited README.md and notes/issue.txt");
    expect(fake.repo(`${OWNER}/${repoName}`).pulls).toHaveLength(1);
    // The second attempt published what the first pushed: the coding agent ran once, one commit of its own.
    expect(git(["rev-list", "--count", `main..${branch(16)}`], remoteDir())).toBe("1");
    expect(attempts[1]!.output).toMatch(new RegExp(`^Opened pull request #\\d+ .*\\nthe coding agent was not run again: attempt 1 of this task pushed [0-9a-f]{7} on \`${branch(16)}\``));
    expect(fake.repo(`${OWNER}/${repoName}`).pulls[0]!.body).toContain("The coding agent's output is on attempt 1 of task");
  });

  it("a pull request GitHub refuses to open (a 403): the task is dead, and the comment names the branch that was pushed", async () => {
    const issue = issuePayload(18, "- [ ] Write the notes file", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    fake.failNext({ method: "POST", path: `/repos/${OWNER}/${repoName}/pulls`, status: 403, body: { message: "GitHub Actions is not permitted to create or approve pull requests." } });
    const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
    expect(task.status).toBe("dead");
    expect(task.attempts).toBe(1);
    const pushed = remoteSha(branch(18));
    expect(pushed).not.toBeNull();
    expect(task.lastError).toMatch(new RegExp(`^pushed \`${branch(18)}\` at ${pushed!.slice(0, 7)}, but its pull request was not opened: POST /repos/${OWNER}/${repoName}/pulls: HTTP 403 .*GitHub Actions is not permitted to create or approve pull requests\\.`));
    expect(comments(18).some((c) => c.includes("❌ The workspace run failed: pushed") && c.includes(branch(18)))).toBe(true);
    expect(labelsOf(18)).toEqual(["state:triage"]);
  });

  it("a pull request GitHub will not label: the task succeeds, the agent ran once, and the issue is told", async () => {
    const issue = issuePayload(17, "- [ ] Write the notes file");
    fake.seedFromPayload("issues", issue);
    fake.failAlways({ method: "POST", path: new RegExp(`^/repos/${OWNER}/${repoName}/issues/(?!17/)\\d+/labels$`), status: 502 });
    try {
      const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
      expect(task.status).toBe("succeeded");
      expect(task.attempts).toBe(1);
      const [pull] = fake.repo(`${OWNER}/${repoName}`).pulls;
      const done = comments(17).find((c) => c.includes("✅"));
      expect(done).toContain(`Opened pull request #${pull!.number}`);
      expect(done).toMatch(new RegExp(`⚠️ pull request #${pull!.number} was not labelled \` switchyard \`: POST /repos/${OWNER}/${repoName}/issues/${pull!.number}/labels: HTTP 502 `));
      expect(labelsOf(17)).toContain("state:reviewing");
      const attempts = (await server.store.getTask(task.id))!.attemptLog;
      expect(attempts[0]!.output).toMatch(/^Opened pull request #\d+ .*\nnot done: pull request #\d+ was not labelled/);
    } finally {
      fake.clearFaults();
    }
  });
});

describe("workspace executor: runs that end without a pull request", () => {
  it("an agent that fails after the issue's state moved on (another run's pull request): that state stands, and the comment says so", async () => {
    const issue = issuePayload(21, "mode: hang", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute"));
    // The agent hangs (its 4 s timeout ends it); meanwhile another run moved the issue on.
    await waitFor(() => readdirSync(records).some((name) => name.startsWith("run-") && runRecordIn(name)?.cwd.includes(`${repoName}/issue-21-`)) || null, 20_000, 50);
    fake.seedFromPayload("issues", issuePayload(21, "mode: hang", ["state:reviewing"]));
    const task = await executionTask(delivery);
    expect(task.status).toBe("dead");
    expect(labelsOf(21)).toEqual(["state:reviewing"]);
    expect(comments(21).some((c) => c.includes("#21 is left at ` state:reviewing `: its state moved on meanwhile"))).toBe(true);
  });

  it("a closed issue: nothing runs, no branch, no pull request, and the task says why", async () => {
    const issue = issuePayload(22, "- [ ] Write the notes file", ["state:done"]);
    issue.issue.state = "closed";
    fake.seedFromPayload("issues", issue);
    const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit")));
    expect(task.status).toBe("dead");
    expect(task.lastError).toContain("#22 is closed, so the plan was not run: reopen the issue, then replay this task or comment `/agent execute`");
    expect(remoteSha(branch(22))).toBeNull();
    expect(fake.repo(`${OWNER}/${repoName}`).pulls).toHaveLength(0);
  });

  it("an agent that changes nothing: a comment, the issue back to its earlier state, nothing pushed", async () => {
    const issue = issuePayload(10, "mode: none", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute"));
    const task = await executionTask(delivery);
    expect(task.status).toBe("succeeded");
    expect(remoteSha(branch(10))).toBeNull();
    expect(fake.repo(`${OWNER}/${repoName}`).pulls).toHaveLength(0);
    expect(labelsOf(10)).toEqual(["state:triage"]);
    expect(comments(10).some((c) => c.includes("finished without changing anything") && c.includes("` state:triage `"))).toBe(true);
  });

  it("an agent that fails: the task is dead and replayable, the output tail posted with secrets masked, the state rolled back", async () => {
    const issue = issuePayload(11, "mode: fail", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute"));
    const task = await executionTask(delivery);
    expect(task.status).toBe("dead");
    expect(task.lastError).toContain("exit code 3");
    expect(remoteSha(branch(11))).toBeNull();
    expect(labelsOf(11)).toEqual(["state:triage"]);
    const failure = comments(11).find((c) => c.includes("The coding agent failed"));
    expect(failure).toContain("boom: the model refused (key ***)");
    expect(failure).not.toContain(API_KEY);
    // switchyard's own secret, which the agent was never given, is masked in the comment too.
    expect(failure).toContain("webhook secret ***");
    expect(failure).not.toContain(TEST_SECRET);
    // The output stays inside its fence: one of backticks longer than any run in the output,
    // which neither its ``` nor its ~~~~ line can close, and the block ends only at the end.
    expect(failure).toMatch(/\n````\n[\s\S]*@octo-org\/everyone[\s\S]*\n````\n<\/details>$/);
    const detail = await server.store.getTask(task.id);
    expect(detail!.attemptLog.at(-1)!.output).not.toContain(API_KEY);
    expect(await server.store.replayTask(task.id, Date.now())).toBe("dead");
  });

  it("/agent execute on a pull request: a reply saying it works on issues, no state label, nothing handed over", async () => {
    const pr = issuePayload(17, "mode: edit", ["state:triage"]);
    (pr.issue as Record<string, unknown>).pull_request = { url: `https://api.github.com/repos/${OWNER}/${repoName}/pulls/17` };
    fake.seedFromPayload("issues", pr);
    const delivery = await deliver("issue_comment", commandPayload(pr, "/agent execute"));
    const coordinator = await waitFor(async () => {
      const task = (await server.store.listTasks({ delivery, limit: 10 })).find((t) => t.agent === "CoordinatorAgent");
      return task && task.status === "succeeded" ? task : null;
    }, 30_000, 50);
    expect(coordinator).toBeDefined();
    expect((await server.store.listTasks({ delivery, limit: 10 })).filter((t) => t.agent === "ExecutionAgent")).toEqual([]);
    expect(comments(17).some((c) => c.includes("`/agent execute` works on issues here") && c.includes("#17 is a pull request already"))).toBe(true);
    expect(labelsOf(17)).toEqual(["state:triage"]);
  });

  it("an agent that asks to be retried on its last allowed attempt: said as the end, the state rolled back, the task dead", async () => {
    const issue = issuePayload(16, "mode: tempfail", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const delivery = await deliver("issue_comment", commandPayload(issue, "/agent execute"));
    const task = await executionTask(delivery, ["dead"]);
    // retry.maxRetries 1: two attempts, the first retried, the second the last.
    expect(task).toMatchObject({ status: "dead", attempts: 2 });
    // The task's one comment, edited as it went: it ends saying the run is over, not "tries again later".
    const ended = (c: string) => c.includes("The coding agent failed (asked to be retried, but that was its last allowed attempt: exit code 75");
    await waitFor(() => comments(16).some(ended) || null, 10_000, 50).catch(() => undefined);
    const said = comments(16);
    expect(said.some(ended), JSON.stringify(said)).toBe(true);
    expect(said.some((c) => c.includes("switchyard tries again later")), JSON.stringify(said)).toBe(false);
    expect(labelsOf(16)).toEqual(["state:triage"]);
    expect(remoteSha(branch(16))).toBeNull();
  });

  it("refuses a branch of that name that switchyard did not create, and changes nothing on it", async () => {
    // A human pushed a branch with the name switchyard would use.
    const clone = path.join(tmp, "human", repoName);
    git(["clone", "--quiet", remoteDir(), clone], tmp);
    git(["checkout", "--quiet", "-b", branch(13)], clone);
    writeFileSync(path.join(clone, "human.txt"), "mine\n");
    git(["add", "."], clone);
    git(["-c", "user.name=Human", "-c", "user.email=human@example.com", "commit", "--quiet", "-m", "human work"], clone);
    git(["push", "--quiet", "origin", branch(13)], clone);
    const humanHead = remoteSha(branch(13));

    const issue = issuePayload(13, "mode: edit", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute")));
    expect(task.status).toBe("dead");
    expect(task.lastError).toContain("switchyard did not create it");
    expect(remoteSha(branch(13))).toBe(humanHead);
    expect(fake.repo(`${OWNER}/${repoName}`).pulls).toHaveLength(0);
    expect(labelsOf(13)).toEqual(["state:triage"]);
    expect(comments(13).some((c) => c.includes("The workspace run failed") && c.includes("did not create it"))).toBe(true);
    // The agent never ran.
    expect(existsSync(path.join(records, `run-${task.id}-1.json`))).toBe(false);
  });

  it("an agent that hangs: a second /agent execute answers already running, the timeout kills it, and a later run gets a fresh worktree", async () => {
    const issue = issuePayload(12, "Some work", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const first = await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: hang"));
    const hung = await executionTask(first, ["running"]);
    await waitFor(() => existsSync(path.join(records, `run-${hung.id}-1.json`)), 10_000);

    const second = await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit"));
    await waitFor(async () => (await server.store.listTasks({ delivery: second, limit: 10 })).every((t) => t.status === "succeeded") || null, 20_000);
    // No second execution task: the coordinator answered instead.
    expect((await server.store.listTasks({ delivery: second, limit: 10 })).map((t) => t.agent)).toEqual(["CoordinatorAgent"]);
    const busy = comments(12).find((c) => c.includes("already running"));
    expect(busy).toContain(`task ${hung.id}`);
    expect(busy).toMatch(/\[follow it here\]\(https:\/\/github\.com\/octo-org\/ws-\d+\/issues\/12#issuecomment-\d+\)/);

    const timedOut = await executionTask(first, ["dead"]);
    expect(timedOut.lastError).toContain("timed out after 4s");
    expect(labelsOf(12)).toEqual(["state:triage"]);
    expect(comments(12).some((c) => c.includes("The coding agent failed (timed out after 4s") && c.includes("thinking very hard"))).toBe(true);
    const hungRun = runRecord(hung.id, 1);
    expect(existsSync(hungRun.cwd)).toBe(false);

    const third = await deliver("issue_comment", commandPayload(issue, "/agent execute\nmode: edit"));
    const done = await executionTask(third);
    expect(done.status).toBe("succeeded");
    const nextRun = runRecord(done.id, 1);
    expect(nextRun.cwd).not.toBe(hungRun.cwd);
    expect(remoteSha(branch(12))).not.toBeNull();
  });
});

/**
 * The execution task of `/agent execute` on issue `number` run as a workflow run does it
 * (runInline, its store in memory), on a fresh clone of the remote as the job's checkout.
 */
function runInWorkflow(number: number, payload: Payload, options: { checkout: string; stop?: AbortSignal; delivery?: string }): ReturnType<typeof runInline> {
  const { config } = parseConfig({
    github: { token: TOKEN, apiUrl: fake.url, writeIntervalMs: 0 },
    agents: { ExecutionAgent: { workspace: { run: [process.execPath, path.join(tmp, "agent.mjs"), "--prompt-file", "{promptFile}"], timeout: "30s", remote: `${gitServer.url}/{owner}/{repo}.git`, dir: workspaces } } },
  }, null, new Map());
  return runInline({
    config,
    event: "issue_comment",
    action: "created",
    repository: `${OWNER}/${repoName}`,
    installation: null,
    number,
    body: Buffer.from(JSON.stringify(payload)),
    tasks: [{ rule: "execute-plan", agent: "ExecutionAgent", action: "Execute plan", priority: "high", idempotencyKey: null }],
    logger: createLogger("silent"),
    env: { PATH: process.env.PATH, HOME: home, GITHUB_WORKSPACE: options.checkout },
    stop: options.stop ?? new AbortController().signal,
    delivery: options.delivery,
  });
}

/** The job's checkout, as actions/checkout leaves it: the workspace's object store in Actions. */
function jobCheckout(name: string): string {
  const checkout = path.join(tmp, name);
  git(["clone", "--quiet", remoteDir(), checkout], tmp);
  return checkout;
}

/** A run record the fake agent writes, or null while it is still being written (read mid-write, it is not JSON yet). */
function runRecordIn(name: string): { cwd: string } | null {
  try {
    return JSON.parse(readFileSync(path.join(records, name), "utf8")) as { cwd: string };
  } catch {
    return null;
  }
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full) : [full];
  });
}

describe("workspace executor: an agent whose env lists GITHUB_TOKEN", () => {
  it("gets the token switchyard fetches and pushes with, and only then", async () => {
    const script = path.join(tmp, "agent.mjs");
    const loaded = parseConfig({
      server: { port: 0, host: "127.0.0.1" },
      admin: { port: 0 },
      store: { url: `sqlite:${path.join(tmp, "second.db")}` },
      github: { token: TOKEN, apiUrl: fake.url, writeIntervalMs: 0 },
      agents: { ExecutionAgent: { workspace: { run: [process.execPath, script, "--prompt-file", "{promptFile}"], env: ["GITHUB_TOKEN"], remote: `${gitServer.url}/{owner}/{repo}.git`, dir: workspaces } } },
    }, null, new Map());
    const second = await startServer({ loaded, secrets: [TEST_SECRET], logger: createLogger("silent"), cwd: tmp, env: { PATH: process.env.PATH, HOME: home }, pollMs: 50 });
    const first = server;
    server = second;
    try {
      const issue = issuePayload(14, "mode: none");
      fake.seedFromPayload("issues", issue);
      const task = await executionTask(await deliver("issue_comment", commandPayload(issue, "/agent execute")));
      expect(task.status).toBe("succeeded");
      expect(runRecord(task.id, 1).env.GITHUB_TOKEN).toBe(TOKEN);
    } finally {
      server = first;
      await second.close();
    }
  });
});

describe("workspace executor in workflow runs", () => {
  it("runs the agent in every run, even where an earlier run's commit names the same task id (each run's store numbers its tasks from 1)", async () => {
    const issue = issuePayload(31, "- [ ] Write the notes file", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const payload = commandPayload(issue, "/agent execute\nmode: edit");
    fake.seedFromPayload("issue_comment", payload);
    const checkout = jobCheckout(`checkout-31-${repoName}`);
    // The same workflow run run again: the same delivery, task 1, attempt 1 each time.
    for (let run = 0; run < 2; run++) await runInWorkflow(31, payload, { checkout, delivery: "actions-run-31" });
    // Two commits of the agent's on the branch: the second run was not taken for a resumed attempt.
    expect(git(["rev-list", "--count", `main..${branch(31)}`], remoteDir())).toBe("2");
    expect(comments(31).join("\n")).not.toContain("was not run again");
  });
});

describe("workspace executor in a workflow run that is cancelled", () => {
  it("tells the issue the run was cancelled and puts its state back before the run ends", async () => {
    const issue = issuePayload(30, "- [ ] Write the notes file", ["state:triage"]);
    fake.seedFromPayload("issues", issue);
    const payload = commandPayload(issue, "/agent execute\nmode: hang");
    fake.seedFromPayload("issue_comment", payload);
    // On GitHub, as the CoordinatorAgent left it when it handed the plan over.
    fake.seedFromPayload("issues", issuePayload(30, "- [ ] Write the notes file", ["state:implementing"]));
    expect(labelsOf(30)).toEqual(["state:implementing"]);
    const stop = new AbortController();
    const run = runInWorkflow(30, payload, { checkout: jobCheckout(`checkout-${repoName}`), stop: stop.signal });
    // The agent hangs in its worktree: cancel the run then.
    await waitFor(() => readdirSync(records).some((name) => name.startsWith("run-") && runRecordIn(name)?.cwd.includes(`${repoName}/issue-30-`)) || null, 20_000, 50);
    stop.abort("SIGINT");
    const result = await run;
    expect(result.cancelled).toBe("SIGINT");
    expect(labelsOf(30)).toEqual(["state:triage"]);
    const said = comments(30).find((c) => c.includes("ExecutionAgent") || c.includes("workspace run"));
    expect(said).toContain("⏹️ The workflow run was cancelled before the workspace run finished (task 1, attempt 1). #30 is back to ` state:triage `. Run the workflow again to retry.");
    expect(remoteSha(branch(30))).toBeNull();
  });
});
