import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive } from "../../src/process-alive.js";
import { exampleOf } from "../support/examples.js";
import { BIN, createWorkdir } from "../support/run-cli.js";
import { waitFor } from "../support/wait-for.js";

const ACTION = fileURLToPath(new URL("../../dist/action/index.js", import.meta.url));

const work = createWorkdir();
afterAll(() => work.remove());

/** node ARGS in `cwd`: the child, what it printed so far, and its exit code once it exits. */
function spawnCaptured(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, { cwd, env });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  return { child, out, exited };
}

/**
 * A workflow run cancelled (or past its `timeout-minutes`) sends route SIGINT, then SIGTERM:
 * the agent's process group must end with the run, and the run must still report.
 */
describe.concurrent("route stopped by a signal", () => {
  const cases = [
    { entry: "route", signal: "SIGINT" as const, code: 130 },
    { entry: "action", signal: "SIGTERM" as const, code: 143 },
  ];
  it.each(cases)("$entry: $signal kills the agent's process group, reports the run as cancelled and exits $code", async ({ entry, signal, code }) => {
    const dir = path.join(work.dir, entry);
    mkdirSync(dir);
    const agent = work.write(`${entry}/hang.sh`, `#!/bin/sh\necho $$ > "${dir}/sh.pid"\nsleep 1000 &\necho $! > "${dir}/sleep.pid"\nwait\n`);
    chmodSync(agent, 0o755);
    work.write(
      `${entry}/switchyard.config.yaml`,
      `agents:\n  HangAgent: { exec: ["./hang.sh"], timeout: 60s }\nrouting:\n  rules:\n    - id: hang\n      when: { event: issues, action: opened }\n      agent: HangAgent\n      priority: critical\n      action: hang\n`,
    );
    const payload = work.write(`${entry}/event.json`, exampleOf("issues", "opened"));
    const summary = path.join(dir, "summary.md");
    writeFileSync(summary, "");
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: dir,
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_EVENT_NAME: "issues",
      GITHUB_EVENT_PATH: payload,
      SWITCHYARD_DRY_RUN: "1",
      "INPUT_DRY-RUN": "true",
    };
    const { child, out, exited } = spawnCaptured(entry === "route" ? [BIN, "route", "--json"] : [ACTION], dir, env);
    try {
      const sleepPid = await waitFor(() => existsSync(path.join(dir, "sleep.pid")) && Number(readFileSync(path.join(dir, "sleep.pid"), "utf8")), 15_000).catch((error: unknown) => {
        throw new Error(`${String(error)}; stderr: ${out.stderr}`);
      });
      const shPid = Number(readFileSync(path.join(dir, "sh.pid"), "utf8"));
      child.kill(signal);
      expect(await exited, out.stderr).toBe(code);
      // Nothing of the agent's group outlives the run.
      await waitFor(() => !isAlive(sleepPid) && !isAlive(shPid), 3000);
      expect(out.stderr).toContain(`the run was cancelled (${signal}): 1 task(s) did not finish (HangAgent)`);
      const report = readFileSync(summary, "utf8");
      expect(report).toContain(`**Cancelled** (${signal}`);
      expect(report).toMatch(/\| HangAgent \| hang \| cancelled \| 1 \|/);
      if (entry === "route") {
        const json = JSON.parse(out.stdout) as Record<string, unknown>;
        expect(json).toMatchObject({ matched: true, cancelled: signal, tasks: [{ agent: "HangAgent", status: "cancelled", attempts: 1 }] });
        expect((json.tasks as { last_error: string }[])[0]!.last_error).toMatch(/^cancelled: .*nothing runs it again/);
      }
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("a task cancelled while it waited for its retry says so, with the failure it waited on", async () => {
    const dir = path.join(work.dir, "backoff");
    mkdirSync(dir);
    const agent = work.write("backoff/retry.sh", `#!/bin/sh\ntouch "${dir}/ran"\necho "not yet" >&2\nexit 75\n`);
    chmodSync(agent, 0o755);
    work.write(
      "backoff/switchyard.config.yaml",
      `retry: { initialDelayMs: 30000, maxDelayMs: 60000 }\nagents:\n  RetryAgent: { exec: ["./retry.sh"] }\nrouting:\n  rules:\n    - id: again\n      when: { event: issues, action: opened }\n      agent: RetryAgent\n      priority: critical\n      action: again\n`,
    );
    const payload = work.write("backoff/event.json", exampleOf("issues", "opened"));
    const env = { PATH: process.env.PATH ?? "", HOME: dir, GITHUB_WORKSPACE: dir, GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: payload, SWITCHYARD_DRY_RUN: "1" };
    const { child, out, exited } = spawnCaptured([BIN, "route", "--json"], dir, env);
    try {
      await waitFor(() => existsSync(path.join(dir, "ran")), 15_000).catch((error: unknown) => {
        throw new Error(`${String(error)}; stderr: ${out.stderr}`);
      });
      // The first attempt's outcome written, the retry 30 s away.
      await new Promise((resolve) => setTimeout(resolve, 500));
      child.kill("SIGINT");
      expect(await exited, out.stderr).toBe(130);
      const json = JSON.parse(out.stdout) as { tasks: { status: string; attempts: number; last_error: string }[] };
      expect(json.tasks[0]).toMatchObject({ status: "cancelled", attempts: 1 });
      expect(json.tasks[0]!.last_error).toMatch(/^cancelled: .*nothing runs it again.*; it was waiting for a retry after: .*75/);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
