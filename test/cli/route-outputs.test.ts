import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

/** The `name=value` lines of a GITHUB_OUTPUT file, as the runner reads them. */
function outputsOf(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("route's step outputs (GITHUB_OUTPUT)", () => {
  const work = createWorkdir();
  afterAll(() => work.remove());

  it("gives later steps matched, the agents that ran and the --json line, for a run and for an event no rule takes", async () => {
    const event = work.write("issue.json", exampleOf("issues", "opened"));
    const output = path.join(work.dir, "output-run");
    const ran = await runCli(["route"], { cwd: work.dir, env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: event, GITHUB_OUTPUT: output, LOG_LEVEL: "silent" } });
    expect(ran.code, ran.stderr).toBe(0);
    const outputs = outputsOf(output);
    expect(outputs).toMatchObject({ matched: "true", agents: "IssueAgent" });
    expect(JSON.parse(outputs.result!)).toMatchObject({ event: "issues", action: "opened", matched: true, decision: { agent: "IssueAgent" }, tasks: [{ agent: "IssueAgent", status: "succeeded" }] });

    const star = work.write("star.json", exampleOf("star", "created"));
    const none = path.join(work.dir, "output-none");
    const skipped = await runCli(["route"], { cwd: work.dir, env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "star", GITHUB_EVENT_PATH: star, GITHUB_OUTPUT: none, LOG_LEVEL: "silent" } });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(outputsOf(none)).toMatchObject({ matched: "false", agents: "" });
    expect(JSON.parse(outputsOf(none).result!)).toMatchObject({ matched: false, tasks: [] });
  });

  it("an output file that cannot be written is a warning; the exit code stays the run's", async () => {
    const event = work.write("issue-2.json", exampleOf("issues", "opened"));
    const result = await runCli(["route"], { cwd: work.dir, env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: event, GITHUB_OUTPUT: path.join(work.dir, "missing", "out"), LOG_LEVEL: "silent" } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^::warning title=switchyard%3A no step outputs::the step's outputs were not written to GITHUB_OUTPUT/m);
  });

  it("in dry-run, ReviewAgent's output says its review comment was recorded, not that it was created", async () => {
    const payload = exampleOf("pull_request", "opened");
    payload.pull_request.draft = false;
    const event = work.write("pr.json", payload);
    const summary = path.join(work.dir, "summary-pr.md");
    const result = await runCli(["route"], { cwd: work.dir, env: { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: "pull_request", GITHUB_EVENT_PATH: event, GITHUB_STEP_SUMMARY: summary, LOG_LEVEL: "silent" } });
    expect(result.code, result.stderr).toBe(0);
    const text = readFileSync(summary, "utf8");
    expect(text).toContain("review comment recorded \\(dry\\-run\\: not sent\\)");
    expect(text).not.toContain("review comment created");
  });
});
