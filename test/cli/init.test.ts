import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WORKFLOW_INPUTS } from "../../src/agents/executors/workflow-executor.js";
import { loadConfig, parseConfig } from "../../src/config/load-config.js";
import { deriveTriggers } from "../../src/init/derive-triggers.js";
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
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
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

  it("never interpolates an expression into a run: line, and routes with the event file only", async () => {
    await result;
    const workflow = readYaml(dir, HANDLER);
    const runs = runLines(workflow);
    expect(runs).toContain("npx --no-install switchyard route");
    for (const run of runs) expect(run).not.toContain("${{");
    const route = (workflow.jobs.route.steps as Yaml[]).find((s) => s.run === "npx --no-install switchyard route")!;
    expect(route.env).toEqual({ GITHUB_TOKEN: "${{ secrets.GITHUB_TOKEN }}" });
    expect(read(dir, HANDLER)).not.toMatch(/\$\{\{\s*github\.event(?!\.issue\.number|\.pull_request\.number)/);
  });

  it("declares least-privilege permissions and one queue per issue or pull request", async () => {
    await result;
    const workflow = readYaml(dir, HANDLER);
    expect(workflow.permissions).toEqual({ contents: "read", issues: "write", "pull-requests": "write", statuses: "write", deployments: "write", actions: "write" });
    expect(workflow.concurrency).toMatchObject({
      // A merged pull request shares the group of its base branch's pushes (one deployment per sha).
      group: "switchyard-${{ (github.event.pull_request.merged && format('refs/heads/{0}', github.event.pull_request.base.ref)) || github.event.issue.number || github.event.pull_request.number || github.ref }}",
      "cancel-in-progress": false,
    });
    // Each permission says why it is there.
    for (const line of read(dir, HANDLER).split("\n").filter((l) => /^ {2}[a-z-]+: (read|write)/.test(l))) expect(line).toMatch(/# \w+/);
  });

  it("agent-runner.yml declares exactly the workflow executor's inputs and passes them only through env", async () => {
    await result;
    const runner = readYaml(dir, RUNNER);
    const inputs = runner.on.workflow_dispatch.inputs as Yaml;
    expect(Object.keys(inputs)).toEqual(Object.keys(WORKFLOW_INPUTS));
    expect(Object.keys(inputs)).toHaveLength(9);
    for (const input of Object.values(inputs)) expect(input).toMatchObject({ type: "string", required: false });
    for (const run of runLines(runner)) expect(run).not.toContain("${{");
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

  it("an event pattern gets a note, not a trigger", () => {
    const derived = deriveTriggers({ ...facts, rules: [{ id: "r", when: { event: "/^issue/" } }] });
    expect(derived.triggers).toEqual([]);
    expect(derived.notes).toEqual([expect.stringMatching(/^rule r matches events by the pattern/)]);
  });
});
