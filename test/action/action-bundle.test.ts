import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";

/**
 * The GitHub Action as the runner runs it: action.yml's `main`, built by the project's build
 * (scripts/build-action.js), copied ALONE into a directory with no node_modules and no
 * package.json, and started with `node index.js` and the variables the runner sets.
 */

const root = path.resolve(import.meta.dirname, "../..");
const work = mkdtempSync(path.join(tmpdir(), "switchyard-action-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let bundle: string;

beforeAll(() => {
  const out = path.join(work, "build");
  execFileSync(process.execPath, ["scripts/build-action.js", "--outdir", out], { cwd: root, stdio: "pipe", timeout: 60_000 });
  bundle = path.join(out, "index.js");
}, 90_000);

interface ActionRun {
  status: number | null;
  stdout: string;
  stderr: string;
  summary: string;
  dir: string;
}

/** A bare directory holding only the bundle (and the event file), run like the runner runs a node24 action. */
function runAction(event: string, payload: object, inputs: Record<string, string>, files: Record<string, string> = {}, runner: { env?: Record<string, string>; cwd?: string } = {}): ActionRun {
  const dir = mkdtempSync(path.join(work, "run-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  copyFileSync(bundle, path.join(dir, "index.js"));
  const eventPath = path.join(dir, "event.json");
  writeFileSync(eventPath, JSON.stringify(payload));
  const summaryPath = path.join(dir, "step-summary.md");
  writeFileSync(summaryPath, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: dir,
    GITHUB_RUN_ID: "4242",
    ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
    ...runner.env,
  };
  const cwd = runner.cwd === undefined ? dir : path.join(dir, runner.cwd);
  mkdirSync(cwd, { recursive: true });
  const result = spawnSync(process.execPath, [path.join(dir, "index.js")], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, summary: readFileSync(summaryPath, "utf8"), dir };
}

/** The summary as it reads once rendered: Markdown's backslash escapes removed. */
function rendered(markdown: string): string {
  return markdown.replace(/\\([!-/:-@[-`{-~])/g, "$1");
}

describe("the bundled GitHub Action", () => {
  it("is what action.yml runs: node24, dist/action/index.js, inputs event, config and dry-run", () => {
    const action = parse(readFileSync(path.join(root, "action.yml"), "utf8")) as { runs: Record<string, string>; inputs: Record<string, unknown> };
    expect(action.runs).toEqual({ using: "node24", main: "dist/action/index.js" });
    expect(Object.keys(action.inputs).sort()).toEqual(["config", "dry-run", "event"]);
  });

  it("needs nothing but Node's own modules", () => {
    const text = readFileSync(bundle, "utf8");
    const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    expect(required.filter((name) => !isBuiltin(name))).toEqual([]);
    expect(text).not.toMatch(/better-sqlite3|\.node["']/);
  });

  it("in a bare directory, decides issues.opened, runs IssueAgent and writes the job summary with the would-be writes", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "true", event: "", config: "" });
    expect(run.stderr).not.toMatch(/::error/);
    expect(run.status).toBe(0);
    // Nothing was installed or created beside the bundle: the store lived in memory.
    expect(readdirSync(run.dir).sort()).toEqual(["event.json", "index.js", "step-summary.md"]);
    expect(existsSync(path.join(run.dir, "node_modules"))).toBe(false);
    expect(run.stdout).toContain("issues.opened → IssueAgent (high): Analyze and auto-label  [rule issue-opened]");
    expect(run.stdout).toMatch(/task 1 IssueAgent: succeeded after 1 attempt/);

    const summary = rendered(run.summary);
    expect(summary).toContain("## switchyard: issues.opened on Codertocat/Hello-World#1");
    // The decision.
    expect(summary).toContain("| issue-opened | IssueAgent | high | Analyze and auto-label |");
    // Each task's outcome.
    expect(summary).toMatch(/\| 1 \| IssueAgent \| issue-opened \| succeeded \| 1 \| — \|/);
    // The writes that would have been made, with their bodies.
    expect(summary).toContain("GitHub writes that would have been made (dry-run: recorded, not sent)");
    // As `tasks show` prints the writes serve records: the route filled in, only the request body below it.
    expect(summary).toContain("IssueAgent would have written ` POST /repos/Codertocat/Hello-World/issues/1/labels `");
    expect(summary).toMatch(/"labels": \[\s+"type:bug",\s+"priority:P2"\s+\]/);
    expect(summary).toContain("IssueAgent would have written ` POST /repos/Codertocat/Hello-World/issues/1/comments `");
    expect(summary).not.toMatch(/\{owner\}|"owner"|"issue_number"/);
    expect(summary).toContain('"body": "<!-- switchyard -->');
    expect(summary).not.toMatch(/\bwrote\b/);
  }, 60_000);

  it("answers an event no rule takes with exit 0 and says so in the summary", () => {
    const run = runAction("star", { action: "created", starred_at: null, repository: exampleOf("issues", "opened").repository, sender: exampleOf("issues", "opened").sender }, { "dry-run": "true" });
    expect(run.status).toBe(0);
    expect(run.summary).toContain("no rule matched; nothing ran");
  }, 60_000);

  it("refuses a bad input with exit 2, an error annotation and a line in the summary", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "maybe" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=switchyard::input dry-run="maybe" is not true, false or auto/m);
    expect(run.summary).toContain("## switchyard: failed");
  }, 60_000);

  it("names its event input, not route's --event flag, when the event does not fit the payload", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { event: "pull_request" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=switchyard::.*is not a pull_request payload: it has no "pull_request" \(check the event input, or the workflow's event, against the payload\)/m);
    expect(run.stderr).not.toContain("--event");
  }, 60_000);

  it("says the runner's event file is missing, not route's --payload flag, when GITHUB_EVENT_PATH is empty", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), {}, {}, { env: { GITHUB_EVENT_PATH: "" } });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=switchyard::no payload: GITHUB_EVENT_PATH, the event's file a workflow run sets, is empty/m);
    expect(run.stderr).not.toContain("--payload");
  }, 60_000);

  it("names its own input, not the variable it sets for route, when dry-run: false has no credentials", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "false" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=switchyard::input dry-run is false but no GitHub credentials are set/m);
    expect(run.stderr).not.toContain("SWITCHYARD_DRY_RUN");
  }, 60_000);

  it("a job summary it cannot write is a warning naming GITHUB_STEP_SUMMARY, and a run whose tasks succeeded exits 0", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "true" }, {}, { env: { GITHUB_STEP_SUMMARY: "/nonexistent/dir/summary.md" } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/task 1 IssueAgent: succeeded after 1 attempt/);
    expect(run.stderr).toContain("switchyard: warning: the job summary was not written to GITHUB_STEP_SUMMARY (/nonexistent/dir/summary.md): ENOENT");
    expect(run.stderr).toMatch(/^::warning title=switchyard%3A no job summary::/m);
    expect(run.stderr).not.toMatch(/::error/);
  }, 60_000);

  it("reads the config the `config` input names, relative to the workspace", () => {
    const config = "routing:\n  rules:\n    - id: triage-everything\n      when: { event: issues }\n      agent: IssueAgent\n      priority: critical\n      action: Triage\n";
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "true", config: "ci/switchyard.yaml" }, { "ci/switchyard.yaml": config });
    expect(run.status).toBe(0);
    expect(rendered(run.summary)).toContain("| triage-everything | IssueAgent | critical | Triage |");
  }, 60_000);

  it("resolves the `config` input against GITHUB_WORKSPACE, not the directory the step runs in", () => {
    const config = "routing:\n  rules:\n    - id: from-the-workspace\n      when: { event: issues }\n      agent: IssueAgent\n      priority: critical\n      action: Triage\n";
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "true", config: "ci/switchyard.yaml" }, { "ci/switchyard.yaml": config }, { cwd: "elsewhere" });
    expect(run.status, run.stderr).toBe(0);
    expect(rendered(run.summary)).toContain("| from-the-workspace | IssueAgent | critical | Triage |");
  }, 60_000);

  it("a `config` input naming no file is exit 2 naming the input, not route's --config flag", () => {
    const run = runAction("issues", exampleOf("issues", "opened"), { "dry-run": "true", config: "ci/missing.yaml" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^::error title=switchyard::input config: .*\/ci\/missing\.yaml does not exist: the config input \("ci\/missing\.yaml"\) is a path relative to the workspace \(GITHUB_WORKSPACE\)/m);
    expect(run.stderr).not.toContain("--config");
    expect(run.summary).toContain("## switchyard: failed");
  }, 60_000);
});
