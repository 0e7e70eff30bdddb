import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKFLOW_INPUTS } from "../../src/agents/executors/workflow-executor.js";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { CHECKOUT, SWITCHYARD } from "../../src/init/action-pins.js";
import { deriveTriggers } from "../../src/init/derive-triggers.js";
import { planAgentSetup, sparsePattern, type RepositoryFiles } from "../../src/init/plan-agent-setup.js";
import { DEFAULT_RULES } from "../../src/routing/default-rules.js";
import { runCli } from "../support/run-cli.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed workflows are read loosely
type Yaml = Record<string, any>;

const HANDLER = ".github/workflows/webhook-handler.yml";
const RUNNER = ".github/workflows/agent-runner.yml";
const CONFIG = "switchyard.config.yaml";
const FILES = [HANDLER, RUNNER, CONFIG];

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A fresh directory, optionally a git repository on `branch`, with files written into it. */
function repo(files: Record<string, string> = {}, branch?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-init-"));
  dirs.push(dir);
  if (branch) execFileSync("git", ["init", "--quiet", "--initial-branch", branch], { cwd: dir });
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const init = (dir: string, args: string[] = []) => runCli(["init", ...args], { cwd: dir });
const read = (dir: string, file: string) => readFileSync(path.join(dir, file), "utf8");
const readYaml = (dir: string, file: string) => parseYaml(read(dir, file)) as Yaml;

/** Every `run:` of every step of every job. */
function runLines(workflow: Yaml): string[] {
  return Object.values(workflow.jobs as Record<string, Yaml>).flatMap((job) => (job.steps as Yaml[]).filter((s) => s.run !== undefined).map((s) => String(s.run)));
}

/** The config template with every setting line uncommented (explanations stay comments). */
function uncommented(template: string): string {
  return template.replace(/^# ((?:[a-z][A-Za-z]*:)|(?: {2}))/gm, "$1");
}

describe("switchyard init in a fresh repository", () => {
  const dir = repo({}, "trunk");
  let result: ReturnType<typeof init>;
  beforeAll(() => {
    result = init(dir);
  });

  it("writes the three files and says so", async () => {
    const { code, stdout, stderr } = await result;
    expect(code).toBe(0);
    // Until switchyard's action is released, the pin is a placeholder, and init says so.
    expect(stderr).toMatch(/^warning: \.github\/workflows\/webhook-handler\.yml names switchyard\/switchyard@0{40}, a placeholder: .*--action OWNER\/NAME@SHA\n$/);
    for (const file of FILES) {
      expect(existsSync(path.join(dir, file))).toBe(true);
      expect(stdout).toContain(`wrote ${file}`);
    }
  });

  it("webhook-handler.yml triggers on every default rule's event and action", async () => {
    await result;
    const on = readYaml(dir, HANDLER).on as Yaml;
    for (const rule of DEFAULT_RULES) {
      const trigger = on[rule.when.event] as Yaml | null | undefined;
      if (rule.when.event === "workflow_run") continue; // no workflows to watch here: see below
      expect(trigger, rule.id).not.toBeUndefined();
      if (typeof rule.when.action === "string") expect(trigger!.types, rule.id).toContain(rule.when.action);
    }
    expect(on.issues.types.sort()).toEqual(["assigned", "closed", "labeled", "opened"]);
    expect(on.pull_request.types.sort()).toEqual(["closed", "opened", "ready_for_review", "review_requested", "synchronize"]);
    expect(on.issue_comment).toEqual({ types: ["created"] });
    // push has no activity types; the branch is git's (trunk), since no deploy branch is configured.
    expect(on.push).toEqual({ branches: ["trunk"] });
  });

  it("leaves workflow_run out, saying why, when there is no workflow to watch", async () => {
    await result;
    expect(readYaml(dir, HANDLER).on.workflow_run).toBeUndefined();
    expect(read(dir, HANDLER)).toMatch(/# Note: workflow_run is left out: GitHub requires the names of the workflows to watch/);
    expect((await result).stdout).toMatch(/^note: workflow_run is left out/m);
  });

  it("routes with switchyard's action and the event file only: no run: step, no expression in any run:", async () => {
    await result;
    const workflow = readYaml(dir, HANDLER);
    expect(runLines(workflow)).toEqual([]);
    for (const file of [HANDLER, RUNNER]) expect(runLines(readYaml(dir, file)).filter((run) => run.includes("${{"))).toEqual([]);
    for (const [id, job] of Object.entries(workflow.jobs as Record<string, Yaml>)) {
      const steps = job.steps as Yaml[];
      expect(steps.map((s) => String(s.uses).split("@")[0]), id).toEqual(["actions/checkout", SWITCHYARD.repository]);
      expect(steps[1]!.env, id).toEqual({ GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}" });
      // Only the config file is checked out, and no token stays behind in .git/config.
      expect(steps[0]!.with, id).toMatchObject({ "sparse-checkout": CONFIG, "sparse-checkout-cone-mode": false, "persist-credentials": false });
    }
  });

  it("pins every action by full commit SHA with its tag in a comment, and needs no Node setup", async () => {
    await result;
    for (const file of [HANDLER, RUNNER]) {
      const text = read(dir, file);
      const uses = text.split("\n").filter((line) => /^\s*(- )?uses:/.test(line));
      expect(uses.length, file).toBeGreaterThan(0);
      for (const line of uses) expect(line, file).toMatch(/^\s*(- )?uses: [\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
      expect(text, file).not.toMatch(/setup-node|node-version|npm (ci|install)|npx/);
    }
    expect(read(dir, HANDLER)).toContain(`uses: ${CHECKOUT.repository}@${CHECKOUT.sha} # ${CHECKOUT.tag}`);
    expect(read(dir, HANDLER)).toContain(`uses: ${SWITCHYARD.repository}@${SWITCHYARD.sha} # ${SWITCHYARD.tag}`);
  });

  it("reads the config from the default branch on pull-request events, never from the pull request's head", async () => {
    await result;
    const jobs = readYaml(dir, HANDLER).jobs as Record<string, Yaml>;
    const checkoutOf = (id: string) => (jobs[id]!.steps as Yaml[])[0]!.with as Yaml;
    expect(checkoutOf("pull_request").ref).toBe("${{ github.event.repository.default_branch }}");
    // Other events check out what GitHub gives them (the default branch for issues and comments, the pushed commit for push).
    for (const id of ["issues", "issue_comment", "push"]) expect(checkoutOf(id).ref, id).toBeUndefined();
  });

  it("grants nothing at the top and, per job, only what that job's agents need; one queue per issue or pull request", async () => {
    await result;
    const workflow = readYaml(dir, HANDLER);
    expect(workflow.permissions).toEqual({});
    const jobs = workflow.jobs as Record<string, Yaml>;
    expect(Object.keys(jobs)).toEqual(["issues", "issue_comment", "pull_request", "push", "discussion_comment"]);
    for (const [id, job] of Object.entries(jobs)) expect(job.if, id).toBe(`github.event_name == '${id}'`);
    // IssueAgent's labels and CoordinatorAgent's reply to the agent-execute label: no pull request, deployment or status.
    expect(jobs.issues!.permissions).toEqual({ contents: "read", issues: "write" });
    expect(jobs.push!.permissions).toEqual({ contents: "read", deployments: "write" });
    expect(jobs.pull_request!.permissions).toEqual({ contents: "read", "pull-requests": "write", statuses: "write", deployments: "write" });
    // `/agent review`, `deploy` and `rollback` come from comments, on issues and pull requests.
    expect(jobs.issue_comment!.permissions).toEqual({ contents: "read", issues: "write", "pull-requests": "write", statuses: "write", deployments: "write" });
    // Commands in Discussions: replies over GraphQL, and the issue /convert-to-issue opens.
    expect(jobs.discussion_comment!.permissions).toEqual({ contents: "read", issues: "write", discussions: "write" });
    // No deploy workflow and no workflow agent: no job may dispatch a workflow.
    for (const job of Object.values(jobs)) expect(job.permissions.actions).toBeUndefined();
    expect(workflow.concurrency).toMatchObject({
      // A merged pull request shares the group of its base branch's pushes (one deployment per sha).
      group: "switchyard-${{ (github.event.pull_request.merged && format('refs/heads/{0}', github.event.pull_request.base.ref)) || github.event.issue.number || github.event.pull_request.number || github.ref }}",
      "cancel-in-progress": false,
    });
    // Each permission says why it is there.
    const grants = read(dir, HANDLER).split("\n").filter((l) => /^ {6}[a-z-]+: (read|write)/.test(l));
    expect(grants.length).toBeGreaterThan(0);
    for (const line of grants) expect(line).toMatch(/# \w+/);
  });

  it("agent-runner.yml declares exactly the workflow executor's inputs and passes them only through env", async () => {
    await result;
    const runner = readYaml(dir, RUNNER);
    const inputs = runner.on.workflow_dispatch.inputs as Yaml;
    expect(Object.keys(inputs)).toEqual(Object.keys(WORKFLOW_INPUTS));
    expect(Object.keys(inputs)).toHaveLength(9);
    for (const input of Object.values(inputs)) expect(input).toMatchObject({ type: "string", required: false });
    for (const run of runLines(runner)) expect(run).not.toContain("${{");
    expect(runner.permissions).toEqual({});
    expect(runner.jobs.run.permissions).toEqual({ contents: "read" });
    expect(runner.jobs.run.env).toMatchObject({ SWITCHYARD_TASK: "${{ inputs.task_id }}", SWITCHYARD_ARGS: "${{ inputs.args }}" });
    expect(read(dir, RUNNER)).toMatch(/Replace this step with your agent/);
  });

  it("switchyard.config.yaml loads as the defaults, and uncommented it is still valid", async () => {
    await result;
    const defaults = parseConfig({}).config;
    expect(loadConfig({ cwd: dir, env: {} }).config).toEqual(defaults);
    const text = read(dir, CONFIG);
    for (const section of Object.keys(defaults)) expect(text).toMatch(new RegExp(`^# ${section}:`, "m"));
    const all = parseYaml(uncommented(text)) as Yaml;
    expect(Object.keys(all)).toEqual(Object.keys(defaults));
    expect(parseConfig(all).config).toEqual(defaults);
  });

  it("switchyard.config.yaml writes durations and sizes as the docs do (30d, 10m, 25mb), not milliseconds or bytes", async () => {
    await result;
    const text = read(dir, CONFIG);
    expect(text).toMatch(/^# {5}bodies: 30d$/m);
    expect(text).toMatch(/^# {5}rows: 90d$/m);
    expect(text).toMatch(/^# {3}interval: 10m$/m);
    expect(text).toMatch(/^# {3}lookback: 3d$/m);
    // A key in milliseconds takes a duration too; a setting that takes only a number keeps it.
    expect(text).toMatch(/^# {3}leaseMs: 30s$/m);
    expect(text).toMatch(/^# {3}concurrency: 4$/m);
    expect(text).toMatch(/^# {3}bodyLimit: 25mb +#/m);
  });

  it("refuses a second run without --force: exit 2, names the files, changes nothing", async () => {
    await result;
    const before = FILES.map((file) => [read(dir, file), statSync(path.join(dir, file)).mtimeMs]);
    const again = await init(dir);
    expect(again.code).toBe(2);
    // The config written by the first run is now the repository's own: kept, not a conflict.
    expect(again.stderr).toMatch(/^switchyard: refusing to overwrite .*webhook-handler\.yml, .*agent-runner\.yml in .*--force/);
    expect(again.stdout).toBe("");
    expect(FILES.map((file) => [read(dir, file), statSync(path.join(dir, file)).mtimeMs])).toEqual(before);
  });
});

describe("switchyard init --dir", () => {
  it("refuses a directory that does not exist: exit 2, nothing created", async () => {
    const dir = repo();
    const missing = path.join(dir, "no-such-repo");
    const { code, stdout, stderr } = await init(dir, ["--dir", "no-such-repo"]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toMatch(/^switchyard: --dir no-such-repo: no such directory; init writes into an existing repository/);
    expect(existsSync(missing)).toBe(false);
  });
});

describe("switchyard init --action", () => {
  const SHA = "0123456789abcdef0123456789abcdef01234567";

  it("pins the given action by its commit, the tag in the comment, with no placeholder warning", async () => {
    const dir = repo();
    const { code, stderr } = await init(dir, ["--action", `acme/switchyard-fork@${SHA}#v0.3.1`]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const handler = read(dir, HANDLER);
    expect(handler).toContain(`uses: acme/switchyard-fork@${SHA} # v0.3.1`);
    expect(handler).not.toContain(SWITCHYARD.sha);
  });

  it("refuses a tag or a short SHA: exit 2, nothing written", async () => {
    for (const bad of ["acme/switchyard@v1", "acme/switchyard@0123456", `switchyard@${SHA}`]) {
      const dir = repo();
      const { code, stderr } = await init(dir, ["--action", bad]);
      expect(code, bad).toBe(2);
      expect(stderr, bad).toMatch(/--action must be OWNER\/NAME@SHA with the full 40-hex commit/);
      expect(existsSync(path.join(dir, HANDLER)), bad).toBe(false);
    }
  });
});

describe("switchyard init, existing files", () => {
  it("writes nothing when any one of the workflows exists", async () => {
    const dir = repo({ [RUNNER]: "name: mine\n" });
    const { code, stderr } = await init(dir);
    expect(code).toBe(2);
    expect(stderr).toContain(RUNNER);
    expect(stderr).not.toContain("webhook-handler");
    expect(existsSync(path.join(dir, HANDLER))).toBe(false);
    expect(existsSync(path.join(dir, CONFIG))).toBe(false);
    expect(read(dir, RUNNER)).toBe("name: mine\n");
  });

  it("keeps the repository's switchyard.config.yaml: its rules are what the triggers follow", async () => {
    const own = "routing: { deployBranches: [release] }\nretry: { maxRetries: 1 }\n";
    const dir = repo({ [CONFIG]: own });
    const { code, stdout } = await init(dir);
    expect(code).toBe(0);
    expect(read(dir, CONFIG)).toBe(own);
    expect(stdout).toContain(`kept ${CONFIG}`);
    expect(stdout).toMatch(/^triggers: .*push \(release\)/m);
    expect((readYaml(dir, HANDLER).on as Yaml).push).toEqual({ branches: ["release"] });
  });

  it("never replaces the repository's own config with another one, even with --force", async () => {
    const dir = repo({ [CONFIG]: "comments: off\n", "ops/other.yaml": "retry: { maxRetries: 1 }\n" });
    for (const args of [["--config", "ops/other.yaml"], ["--config", "ops/other.yaml", "--force"]]) {
      const { code, stderr } = await init(dir, args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/already has its own switchyard\.config\.yaml, which Actions runs follow/);
    }
    expect(read(dir, CONFIG)).toBe("comments: off\n");
    expect(existsSync(path.join(dir, HANDLER))).toBe(false);
  });

  it("--force overwrites the workflows and still keeps the repository's config", async () => {
    const dir = repo({ [HANDLER]: "name: mine\n", [CONFIG]: "retry: { maxRetries: 1 }\n" });
    const { code, stdout } = await init(dir, ["--force", "--json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { written: string[]; overwritten: string[]; config: string };
    expect(stdout.trim().split("\n")).toHaveLength(1);
    expect(out).toMatchObject({ written: [HANDLER, RUNNER], overwritten: [HANDLER], config: "kept" });
    expect(readYaml(dir, HANDLER).name).toBe("switchyard");
    expect(read(dir, CONFIG)).toBe("retry: { maxRetries: 1 }\n");
  });
});

describe("switchyard init derives its triggers from the repository and the rules", () => {
  it("watches the repository's existing workflows when guardian.workflows is empty", async () => {
    const dir = repo({
      ".github/workflows/ci.yml": "name: CI\non: push\njobs: {}\n",
      ".github/workflows/lint.yaml": "on: pull_request\njobs: {}\n",
      ".github/workflows/nightly.yml": "name: 'Nightly: full'\non: schedule\n",
    });
    const { code } = await init(dir, ["--default-branch", "develop"]);
    expect(code).toBe(0);
    const on = readYaml(dir, HANDLER).on as Yaml;
    expect(on.workflow_run).toEqual({ types: ["completed"], workflows: ["CI", ".github/workflows/lint.yaml", "Nightly: full"] });
    expect(on.push).toEqual({ branches: ["develop"] });
  });

  it("watches guardian.workflows and pushes to routing.deployBranches when configured; a config rule adds its event", async () => {
    const config = [
      "guardian: { workflows: [Deploy] }",
      "routing:",
      "  deployBranches: [release, main]",
      "  rules:",
      "    - { id: review-submitted, when: { event: pull_request_review, action: submitted }, agent: ReviewAgent, priority: low, action: Read the review }",
      "    - { id: any-issue, when: { event: issues }, agent: IssueAgent, priority: low, action: Log it }",
      "    - { id: installed, when: { event: installation }, agent: IssueAgent, priority: low, action: Greet }",
    ].join("\n");
    const dir = repo({ "ops/switchyard.yaml": config, ".github/workflows/ci.yml": "name: CI\n" }, "trunk");
    const { code, stdout } = await init(dir, ["--config", "ops/switchyard.yaml"]);
    expect(code).toBe(0);
    // The committed config is the one the triggers follow: a copy of --config.
    expect(read(dir, CONFIG)).toBe(config);
    expect(stdout).toContain(`wrote ${CONFIG} (a copy of ops/switchyard.yaml)`);
    expect(stdout).toMatch(/^triggers: .*push \(release, main\).*workflow_run \(Deploy\)|^triggers: .*workflow_run \(Deploy\).*push \(release, main\)/m);
    const on = readYaml(dir, HANDLER).on as Yaml;
    expect(on.workflow_run.workflows).toEqual(["Deploy"]);
    expect(on.push).toEqual({ branches: ["release", "main"] });
    expect(on.pull_request_review).toEqual({ types: ["submitted"] });
    // A rule on every issues action: no types filter at all (null, or empty in YAML).
    expect(on.issues).toBeNull();
    expect(on.installation).toBeUndefined();
    expect(stdout).toMatch(/note: rule installed: installation events cannot start a GitHub Actions workflow/);
    const jobs = readYaml(dir, HANDLER).jobs as Record<string, Yaml>;
    // A pull-request event of a config rule reads the config from the default branch too.
    expect((jobs.pull_request_review!.steps as Yaml[])[0]!.with.ref).toBe("${{ github.event.repository.default_branch }}");
    expect(jobs.pull_request_review!.permissions).toEqual({ contents: "read", "pull-requests": "write", statuses: "write" });
    // Guardian escalates in issues; it dispatches nothing.
    expect(jobs.workflow_run!.permissions).toEqual({ contents: "read", issues: "write" });
  });

  it("grants actions: write only to the jobs that dispatch a workflow, and says when an agent's needs are unknown", async () => {
    const config = [
      "deploy: { workflow: deploy.yml }",
      "comments: off",
      "agents:",
      "  ExecutionAgent: { workflow: { id: agent-runner.yml } }",
      "  Linter: { exec: [./lint.sh] }",
      "routing:",
      "  rules:",
      "    - { id: lint, when: { event: pull_request, action: opened }, agent: Linter, priority: low, action: Lint, continue: true }",
    ].join("\n");
    const dir = repo({ [CONFIG]: config }, "main");
    expect((await init(dir)).code).toBe(0);
    const jobs = readYaml(dir, HANDLER).jobs as Record<string, Yaml>;
    // deploy.workflow: DeploymentAgent (push, merged pull requests) and `/agent deploy` dispatch it.
    expect(jobs.push!.permissions).toEqual({ contents: "read", deployments: "write", actions: "write" });
    expect(jobs.pull_request!.permissions.actions).toBe("write");
    expect(jobs.issue_comment!.permissions.actions).toBe("write");
    // The agent-execute label hands the plan to the workflow ExecutionAgent; comments: off, so no routing comment.
    expect(jobs.issues!.permissions).toEqual({ contents: "read", issues: "write", actions: "write" });
    expect(jobs.pull_request!.permissions["pull-requests"]).toBe("write");
    expect(read(dir, HANDLER)).toMatch(/# Note: Linter runs a program: grant this job what it does with GITHUB_TOKEN/);
  });
});

describe("switchyard init with a workspace ExecutionAgent", () => {
  const dir = repo({ [CONFIG]: "agents:\n  ExecutionAgent: { workspace: { run: [my-coding-agent, --prompt-file, '{promptFile}'], timeout: 45m } }\n", "src/app.ts": "code\n" }, "main");
  const jobs = () => readYaml(dir, HANDLER).jobs as Record<string, Yaml>;
  const checkoutOf = (id: string) => (jobs()[id]!.steps as Yaml[])[0]!.with as Yaml;

  it("checks out the whole repository for the jobs that can hand it a plan (its worktree is made from that checkout), and gives them its timeout on every attempt", async () => {
    expect((await init(dir)).code).toBe(0);
    for (const id of ["issues", "issue_comment"]) {
      expect(checkoutOf(id), id).not.toHaveProperty("sparse-checkout");
      expect(checkoutOf(id), id).not.toHaveProperty("sparse-checkout-cone-mode");
      expect(checkoutOf(id)["persist-credentials"], id).toBe(false);
      // 45 minutes of the agent's own on each of its 4 attempts (3 retries), the waits between them, and a margin for the rest of the job.
      expect(jobs()[id]!["timeout-minutes"], id).toBe(186);
    }
    // A job that never runs it keeps the config alone and the usual 15 minutes.
    expect(checkoutOf("pull_request")["sparse-checkout"]).toBe(CONFIG);
    expect(jobs().pull_request!["timeout-minutes"]).toBe(15);
  });
});

describe("switchyard init with exec agents: what they run is on the runner", () => {
  const config = [
    "agents:",
    '  MyAgent: { exec: ["./agents/ok.sh"], env: [OPENAI_API_KEY, GITHUB_TOKEN, PATH] }',
    "  Reviewer: { exec: [python3, tools/review.py, --model, gpt/4], env: [OPENAI_API_KEY, ANTHROPIC_API_KEY] }",
    "  Installed: { exec: [/opt/agent/bin/run] }",
    "  Root: { exec: [./root-agent.sh] }",
    "routing:",
    "  rules:",
    "    - { id: issue-opened, when: { event: issues, action: opened }, agent: MyAgent, priority: high, action: Run the agent }",
    "    - { id: review, when: { event: pull_request, action: opened }, agent: Reviewer, priority: low, action: Review, continue: true }",
    "    - { id: on-push, when: { event: push }, agent: Installed, priority: low, action: Installed, continue: true }",
    "    - { id: on-push-root, when: { event: push }, agent: Root, priority: low, action: Root, continue: true }",
  ].join("\n");
  const OK = "#!/bin/sh\nread -r task\necho \"ran with key=${OPENAI_API_KEY:-unset}\"\n";
  const dir = repo({ [CONFIG]: config, "agents/ok.sh": OK, "agents/lib.sh": "# helpers\n", "tools/review.py": "print('hi')\n", "root-agent.sh": "#!/bin/sh\n", "src/app.ts": "secret code\n" }, "main");
  chmodSync(path.join(dir, "agents/ok.sh"), 0o755);
  let result: ReturnType<typeof init>;
  let json: ReturnType<typeof init>;
  beforeAll(() => {
    result = init(dir);
    json = result.then(() => init(dir, ["--force", "--json"]));
  });
  const jobs = () => readYaml(dir, HANDLER).jobs as Record<string, Yaml>;
  const checkoutOf = (id: string) => (jobs()[id]!.steps as Yaml[])[0]!.with as Yaml;
  const envOf = (id: string) => (jobs()[id]!.steps as Yaml[])[1]!.env as Yaml;

  it("checks out, beside the config, the directory of a program in the repository (a root file alone), per job", async () => {
    expect((await result).code).toBe(0);
    expect(checkoutOf("issues")["sparse-checkout"]).toBe(`${CONFIG}\n/agents/\n`);
    // An argument that names a file in the repository is checked out too; `gpt/4` names none.
    expect(checkoutOf("pull_request")["sparse-checkout"]).toBe(`${CONFIG}\n/tools/\n`);
    expect(checkoutOf("push")["sparse-checkout"]).toBe(`${CONFIG}\n/root-agent.sh\n`);
    // Jobs whose agents run nothing from the repository keep the config alone.
    expect(checkoutOf("issue_comment")["sparse-checkout"]).toBe(CONFIG);
    for (const [id, job] of Object.entries(jobs())) {
      expect((job.steps as Yaml[])[0]!.with, id).toMatchObject({ "sparse-checkout-cone-mode": false, "persist-credentials": false });
    }
    // Still the default branch's files on pull-request events, never the pull request's head.
    expect(checkoutOf("pull_request").ref).toBe("${{ github.event.repository.default_branch }}");
    expect(jobs().issues!.permissions).toEqual({ contents: "read", issues: "write" });
  });

  it("passes the env: names of each job's agents from repository secrets, and nothing the runner or switchyard owns", async () => {
    await result;
    expect(envOf("issues")).toEqual({ GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}", OPENAI_API_KEY: "${{ secrets.OPENAI_API_KEY }}" });
    expect(envOf("pull_request")).toEqual({ GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}", OPENAI_API_KEY: "${{ secrets.OPENAI_API_KEY }}", ANTHROPIC_API_KEY: "${{ secrets.ANTHROPIC_API_KEY }}" });
    // A job whose agents list nothing gets no secret.
    for (const id of ["issue_comment", "push"]) expect(envOf(id), id).toEqual({ GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}" });
    expect(read(dir, HANDLER)).not.toMatch(/secrets\.(WEBHOOK_SECRET|PATH)/);
  });

  it("says on stderr which secrets to create, and notes what the runner must have", async () => {
    const { stdout, stderr } = await result;
    expect(stderr).toMatch(/^secret: create the repository secret OPENAI_API_KEY \(listed under env: by MyAgent, Reviewer\): gh secret set OPENAI_API_KEY/m);
    expect(stderr).toMatch(/^secret: create the repository secret ANTHROPIC_API_KEY \(listed under env: by Reviewer\)/m);
    expect(stderr).not.toMatch(/secret \w*(GITHUB_TOKEN|WEBHOOK_SECRET|PATH)\b/);
    expect(stdout).toMatch(/^note: Installed runs \/opt\/agent\/bin\/run, outside the repository: the runner must have it/m);
    // root-agent.sh is committed without its executable bit: it would fail on the runner.
    expect(stdout).toMatch(/^note: Root runs \.\/root-agent\.sh, which is not executable: chmod \+x root-agent\.sh/m);
    expect(stdout).toMatch(/^next: commit the workflows and the config and the programs its exec agents run \(git add \.github\/workflows\/webhook-handler\.yml \.github\/workflows\/agent-runner\.yml switchyard\.config\.yaml agents\/ tools\/ root-agent\.sh; .*create the repository secrets OPENAI_API_KEY, ANTHROPIC_API_KEY/m);
    expect(read(dir, HANDLER)).toMatch(/# Note: Installed runs \/opt\/agent\/bin\/run, outside the repository/);
  });

  it("--json carries the paths, the secrets and the notes; a second run with --force writes the same workflow", async () => {
    const before = read(dir, HANDLER);
    const { code, stdout, stderr } = await json;
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { checkout: string[]; secrets: unknown; notes: string[] };
    expect(out.checkout).toEqual(["/agents/", "/tools/", "/root-agent.sh"]);
    expect(out.secrets).toEqual([
      { name: "OPENAI_API_KEY", agents: ["MyAgent", "Reviewer"], signing: [] },
      { name: "ANTHROPIC_API_KEY", agents: ["Reviewer"], signing: [] },
    ]);
    expect(out.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^Installed runs \/opt\/agent\/bin\/run, outside the repository/)]));
    expect(stderr).toMatch(/^secret: create the repository secret OPENAI_API_KEY/m);
    expect(read(dir, HANDLER)).toBe(before);
  });

  it("the job's sparse checkout holds the program, so route runs the exec agent (and nothing else of the repository is there)", async () => {
    await result;
    execFileSync("git", ["add", "-A"], { cwd: dir });
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "--quiet", "-m", "init"], { cwd: dir });
    // As actions/checkout does it with sparse-checkout-cone-mode: false.
    const runner = mkdtempSync(path.join(tmpdir(), "switchyard-runner-"));
    dirs.push(runner);
    execFileSync("git", ["clone", "--quiet", "--no-checkout", dir, runner]);
    execFileSync("git", ["config", "core.sparseCheckout", "true"], { cwd: runner });
    const patterns = String(checkoutOf("issues")["sparse-checkout"]);
    writeFileSync(path.join(runner, ".git", "info", "sparse-checkout"), `${patterns}\n`);
    execFileSync("git", ["checkout", "--quiet", "main"], { cwd: runner });
    expect(existsSync(path.join(runner, "agents/ok.sh"))).toBe(true);
    expect(existsSync(path.join(runner, "agents/lib.sh"))).toBe(true);
    expect(existsSync(path.join(runner, "src/app.ts"))).toBe(false);
    const routed = await runCli(["route", "--event", "issues", "--payload", fileURLToPath(new URL("../../samples/issues.opened.json", import.meta.url)), "--json"], {
      cwd: runner,
      env: { OPENAI_API_KEY: "k-123", SWITCHYARD_DRY_RUN: "true" },
    });
    expect(routed.stderr).not.toMatch(/cannot run/);
    expect(routed.code).toBe(0);
    expect(JSON.parse(routed.stdout).tasks).toEqual([expect.objectContaining({ agent: "MyAgent", status: "succeeded" })]);
  });
});

describe("planAgentSetup", () => {
  const files = (entries: Record<string, "file" | "directory">, executable: string[] = Object.keys(entries)): RepositoryFiles => ({
    kind: (relative) => entries[relative] ?? null,
    executable: (relative) => executable.includes(relative),
  });
  // ExecutionAgent: the one name agents: takes without a rule using it.
  const setup = (executor: unknown, repoFiles?: RepositoryFiles) => planAgentSetup(["ExecutionAgent"], parseConfig({ agents: { ExecutionAgent: executor } }).config, repoFiles);

  it.each([
    { name: "a bare name is found on PATH: nothing", exec: ["claude", "-p", "review"], checkout: [] },
    { name: "./ and a nested directory", exec: ["./agents/bin/run.sh"], checkout: ["/agents/bin/"] },
    { name: "a file at the root alone", exec: ["./run.sh"], checkout: ["/run.sh"] },
    { name: "glob characters are escaped", exec: ["./a[1]/*x?.sh"], checkout: ["/a\\[1]/"] },
    { name: "../ leaves the repository: nothing", exec: ["../tools/run"], checkout: [] },
  ])("$name", ({ exec, checkout }) => {
    expect(setup({ exec }).checkout).toEqual(checkout);
  });

  it("takes an argument only when it names a path in the repository", () => {
    const repoFiles = files({ "agents/review.py": "file", prompts: "directory", "run.sh": "file" });
    expect(setup({ exec: ["python3", "./agents/review.py", "--prompts", "prompts", "a/b", "--out=x/y", "/etc/passwd"] }, repoFiles).checkout).toEqual(["/agents/", "/prompts/"]);
  });

  it("maps workspace agents' env too, and never a name switchyard or the runner owns", () => {
    const planned = setup({ workspace: { run: ["aider"], env: ["ANTHROPIC_API_KEY", "GITHUB_TOKEN", "RUNNER_TEMP", "CI", "DATABASE_URL", "bad-name"] } });
    expect(planned.checkout).toEqual([]);
    expect(planned.secrets).toEqual([{ name: "ANTHROPIC_API_KEY", agents: ["ExecutionAgent"], signing: [] }]);
    expect(planned.notes).toEqual([
      expect.stringMatching(/^ExecutionAgent lists DATABASE_URL under env: it is also one of switchyard's own settings/),
      expect.stringMatching(/^ExecutionAgent lists bad-name under env: it cannot be a repository secret's name/),
    ]);
  });

  it("maps an http agent's secret read from the environment; a secret written in the file needs nothing", () => {
    expect(setup({ http: { url: "https://agents.example/run", secret: { env: "AGENT_SECRET" } } }).secrets).toEqual([{ name: "AGENT_SECRET", agents: ["ExecutionAgent"], signing: ["ExecutionAgent"] }]);
    expect(setup({ http: { url: "https://agents.example/run", secret: "in-the-file-0123456789" } }).secrets).toEqual([]);
  });

  it("notes a program missing from the repository, with the error the run would end in", () => {
    expect(setup({ exec: ["./agents/ok.sh"] }, files({})).notes).toEqual([expect.stringContaining('not a file in this repository: commit it there (executable), or every run of ExecutionAgent fails with "cannot run ./agents/ok.sh: … does not exist"')]);
    expect(sparsePattern("agents", true)).toBe("/agents/");
  });
});

describe("the secret: lines", () => {
  it("say an unset env: name leaves the agent without it, and an unset http.secret fails the agent's every task", async () => {
    const config = [
      "agents:",
      "  IssueAgent: { http: { url: https://agents.example/run, secret: { env: AGENT_SECRET } } }",
      "  ReviewAgent: { exec: [claude], env: [AGENT_SECRET, OPENAI_API_KEY] }",
      "",
    ].join("\n");
    const { code, stderr } = await init(repo({ [CONFIG]: config }));
    expect(code, stderr).toBe(0);
    const lines = stderr.split("\n").filter((line) => line.startsWith("secret:"));
    expect(lines).toEqual([
      "secret: create the repository secret AGENT_SECRET (listed under env: by ReviewAgent; read as http.secret by IssueAgent, which signs requests with it): gh secret set AGENT_SECRET, or Settings → Secrets and variables → Actions; until then ReviewAgent runs without it, and every task of IssueAgent fails at once, sending nothing (dead, and the run exits 1)",
      "secret: create the repository secret OPENAI_API_KEY (listed under env: by ReviewAgent): gh secret set OPENAI_API_KEY, or Settings → Secrets and variables → Actions; until then ReviewAgent runs without it",
    ]);
  });
});

describe("deriveTriggers", () => {
  const facts = { deployBranches: [], defaultBranch: "main", existingWorkflows: ["CI"] };

  it.each([
    { name: "an action pattern takes every type", when: { event: "issues", action: "/^(opened|edited)$/" }, want: { event: "issues", types: null } },
    { name: "action lists merge", when: { event: "issues", action: ["opened", "edited"] }, want: { event: "issues", types: ["opened", "edited"] } },
    { name: "a push to named branches", when: { event: "push", branch: ["main", "next"] }, want: { event: "push", types: null, branches: ["main", "next"] } },
    { name: "a tag push: no branch filter", when: { event: "push", tag: true, deployBranch: true }, want: { event: "push", types: null, branches: null } },
    { name: "a workflow_run with a workflow pattern: the existing ones", when: { event: "workflow_run", action: "completed", workflow: "/ci/i" }, want: { event: "workflow_run", types: ["completed"], workflows: ["CI"] } },
  ])("$name", ({ when, want }) => {
    expect(deriveTriggers({ ...facts, rules: [{ id: "r", when }] }).triggers).toEqual([want]);
  });

  it("a rule watching every workflow says which ones the trigger names, and that later ones need init again", () => {
    const rules = [
      { id: "guardian-failed-workflow", when: { event: "workflow_run", action: "completed" } },
      { id: "deploy-failed", when: { event: "workflow_run", action: "completed", workflow: "Deploy" } },
    ];
    const derived = deriveTriggers({ ...facts, rules });
    expect(derived.triggers).toEqual([{ event: "workflow_run", types: ["completed"], workflows: ["CI", "Deploy"] }]);
    expect(derived.notes).toEqual([
      "rule guardian-failed-workflow watches every workflow, and GitHub needs their names: workflow_run lists CI, Deploy, so a workflow added later is watched only after switchyard init --force (or name the workflows: guardian.workflows for Guardian, when.workflow for a rule of yours)",
    ]);
    // Only named workflows: nothing to say.
    expect(deriveTriggers({ ...facts, rules: [rules[1]!] }).notes).toEqual([]);
  });

  it("an event pattern gets a note, not a trigger", () => {
    const derived = deriveTriggers({ ...facts, rules: [{ id: "r", when: { event: "/^issue/" } }] });
    expect(derived.triggers).toEqual([]);
    expect(derived.notes).toEqual([expect.stringMatching(/^rule r matches events by the pattern/)]);
  });
});
