import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { exampleOf } from "../support/examples.js";
import { createWorkdir, runCli } from "../support/run-cli.js";

// `--json` promises one line on stdout: a command that fails says so there as well as on stderr.

describe("a failing command given --json", () => {
  const work = createWorkdir();
  afterAll(() => work.remove());

  it.each([
    ["a missing database", ["deliveries", "--json"], 2, /does not exist yet/],
    ["an unknown option (commander's refusal)", ["tasks", "--json", "--limt", "5"], 2, /^unknown option '--limt'/],
    ["a bad flag value", ["deliveries", "--json", "--limit", "-3"], 2, /limit/],
    ["redeliver with no hooks configured", ["redeliver", "--json"], 2, /hooks/],
  ] as const)("%s: its exit code, {ok:false,error} on stdout, the message on stderr", async (_, args, code, message) => {
    const result = await runCli([...args], { cwd: work.dir, env: { DATABASE_URL: "sqlite:none.db" } });
    expect(result.code, result.stderr).toBe(code);
    expect(result.stdout.endsWith("\n") && !result.stdout.slice(0, -1).includes("\n")).toBe(true);
    const line = JSON.parse(result.stdout) as { ok: boolean; error: string };
    expect(line).toEqual({ ok: false, error: expect.stringMatching(message) });
    // The same words as stderr's one line, without its prefix.
    expect(result.stderr.trimEnd().replace(/^(switchyard|error): /, "")).toBe(line.error);
  });

  it("adds no second line when the command failed after printing its own", async () => {
    const payload = work.write("issue.json", exampleOf("issues", "opened"));
    // A task that ends dead: route has printed its result (with the task) by then, and exits 1.
    const config = work.write("dead.yaml", "agents:\n  IssueAgent: { http: { url: http://127.0.0.1:2/run, secret: { env: AGENT_SECRET } } }\n");
    const result = await runCli(["route", "--event", "issues", "--payload", payload, "--json", "--config", config], { cwd: work.dir, env: {} });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ matched: true, tasks: [expect.objectContaining({ status: "dead" })] });
  });

  it("adds no second line when something throws after the command printed its own", async () => {
    const payload = work.write("issue-2.json", exampleOf("issues", "opened"));
    let stdout = "";
    let stderr = "";
    let failOnce = true;
    const io = {
      stdout: (text: string) => void (stdout += text),
      // A stderr that fails once, on the job summary's warning, after the JSON line was printed.
      stderr: (text: string) => {
        if (failOnce && text.includes("job summary")) {
          failOnce = false;
          throw new Error("stderr is gone");
        }
        stderr += text;
      },
      env: { GITHUB_STEP_SUMMARY: "/nonexistent/dir/summary.md" },
      cwd: work.dir,
    };
    const code = await main(["route", "--event", "issues", "--payload", payload, "--dry-run", "--json"], io);
    expect(code).toBe(1);
    expect(stderr).toContain("switchyard: stderr is gone");
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toHaveProperty("matched");
  });

  it("prints nothing on stdout without --json, nor for a --json after --", async () => {
    const plain = await runCli(["deliveries"], { cwd: work.dir, env: { DATABASE_URL: "sqlite:none.db" } });
    expect(plain).toMatchObject({ code: 2, stdout: "" });
    const after = await runCli(["send", "issues", "--url", "not a url", "--", "--json"], { cwd: work.dir, env: {} });
    expect(after.code).toBe(2);
    expect(after.stdout).toBe("");
  });
});
