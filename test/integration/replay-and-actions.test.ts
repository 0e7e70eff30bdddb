import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleOf } from "../support/examples.js";
import { postSigned, runCli, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

const SECRET = "replay-test-secret";

describe("replay and tasks from the command line", () => {
  let dir: string;
  let server: ServeProcess | null = null;
  let env: Record<string, string>;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-replay-"));
    writeFileSync(path.join(dir, "fail.mjs"), `console.error("always fails"); process.exit(3);`);
    writeFileSync(path.join(dir, "switchyard.config.yaml"), `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${path.join(dir, "fail.mjs")}"] }\n`);
  });
  afterAll(() => {
    server?.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  async function tasksJson(): Promise<{ id: string; status: string; attempts: number }[]> {
    const result = await runCli(["tasks", "--json"], { cwd: dir, env });
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  }

  it("replays a dead task through the running server, then directly on the store once it is stopped", async () => {
    server = await startServeProcess(dir, { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:r.db" });
    env = { DATABASE_URL: "sqlite:r.db", ADMIN_PORT: String(server.adminPort), PORT: String(server.port) };
    const res = await postSigned(server.webhookUrl, SECRET, "issues", exampleOf("issues", "opened"));
    expect(res.status).toBe(202);
    const { routed } = (await res.json()) as { routed: { task: string }[] };
    const id = routed[0]!.task;

    const dead = await waitFor(async () => (await tasksJson()).find((t) => t.id === id && t.status === "dead"), 20_000, 200);
    expect(dead.attempts).toBe(1);
    const tasks = await tasksJson();
    expect(Object.keys(tasks[0]!).sort()).toEqual(["action", "agent", "attempts", "delivery", "id", "last_error", "priority", "run_at", "status"]);

    // The server is found through the database's lock file, not the configured admin port.
    const viaApi = await runCli(["replay", "--task", id, "--json"], { cwd: dir, env: { ...env, ADMIN_PORT: "1" } });
    expect(viaApi.code).toBe(0);
    expect(JSON.parse(viaApi.stdout)).toEqual({ via: "api", replayed: [{ task: id }] });
    await waitFor(async () => (await tasksJson()).find((t) => t.id === id && t.status === "dead" && t.attempts === 2), 20_000, 200);

    server.child.kill("SIGTERM");
    await server.exited;
    server = null;
    const direct = await runCli(["replay", "--dead", "--json"], { cwd: dir, env });
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout)).toEqual({ via: "store", replayed: [{ task: id }] });
    const requeued = (await tasksJson()).find((t) => t.id === id)!;
    expect(requeued).toMatchObject({ status: "ready", attempts: 2 });

    const unknown = await runCli(["replay", "--task", "424242"], { cwd: dir, env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("424242");
    const noMode = await runCli(["replay"], { cwd: dir, env });
    expect(noMode.code).toBe(2);
  });

  it("says a running task is left to its run, and that a task that had succeeded runs again", async () => {
    const own = mkdtempSync(path.join(tmpdir(), "switchyard-replay-notes-"));
    try {
      // Slow enough to be running still after three CLI runs on a loaded machine.
      writeFileSync(path.join(own, "slow.mjs"), `setTimeout(() => console.log("done"), 10000);`);
      writeFileSync(path.join(own, "switchyard.config.yaml"), `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${path.join(own, "slow.mjs")}"] }\n`);
      const slow = await startServeProcess(own, { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:n.db" });
      const ownEnv = { DATABASE_URL: "sqlite:n.db" };
      try {
        const res = await postSigned(slow.webhookUrl, SECRET, "issues", exampleOf("issues", "opened"));
        const accepted = (await res.json()) as { delivery: string; routed: { task: string }[] };
        const id = accepted.routed[0]!.task;
        await waitFor(async () => (await fetch(`${slow.adminUrl}/api/tasks/${id}`).then((r) => r.json()) as { status: string }).status === "running", 20_000, 100);
        const running = await runCli(["replay", "--task", id], { cwd: own, env: ownEnv });
        expect(running.code, running.stderr).toBe(0);
        // Not listed as re-queued: it was not.
        expect(running.stdout).toBe(`task ${id} is running: left to that run, not re-queued (replay it once it ends to run it again)\n`);
        const asJson = await runCli(["replay", "--task", id, "--json"], { cwd: own, env: ownEnv });
        expect(JSON.parse(asJson.stdout)).toEqual({ via: "api", replayed: [], running: [id] });
        // Its delivery likewise.
        const byDelivery = await runCli(["replay", accepted.delivery, "--json"], { cwd: own, env: ownEnv });
        expect(JSON.parse(byDelivery.stdout)).toEqual({ via: "api", replayed: [], running: [id] });
        // The API says the same: nothing was re-queued.
        const api = await fetch(`${slow.adminUrl}/api/tasks/${id}/replay`, { method: "POST" });
        expect(await api.json()).toMatchObject({ task: id, replayed: false, was: "running", delivery: accepted.delivery, agent_missing: false });
        await waitFor(async () => (await fetch(`${slow.adminUrl}/api/tasks/${id}`).then((r) => r.json()) as { status: string }).status === "succeeded", 30_000, 200);
        slow.child.kill("SIGTERM");
        await slow.exited;
        // Directly on the store once the server is gone: a task that had succeeded runs again, and says so.
        const direct = await runCli(["replay", "--task", id], { cwd: own, env: ownEnv });
        expect(direct.code, direct.stderr).toBe(0);
        expect(direct.stderr).toContain(`switchyard: task ${id} had succeeded: it runs again (an explicit replay runs it whatever its idempotency key)`);
      } finally {
        slow.child.kill("SIGKILL");
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  }, 60_000);

  it("replays on its own database when another project's server answers on the admin port", async () => {
    const otherDir = mkdtempSync(path.join(tmpdir(), "switchyard-other-"));
    const other = await startServeProcess(otherDir, { WEBHOOK_SECRET: SECRET, DATABASE_URL: "sqlite:other.db" });
    try {
      const result = await runCli(["replay", "--dead", "--json"], { cwd: dir, env: { ...env, ADMIN_PORT: String(other.adminPort) } });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ via: "store" });
    } finally {
      other.child.kill("SIGTERM");
      await other.exited;
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it("says which agent a mistyped --agent probably meant when it finds no tasks", async () => {
    const typo = await runCli(["tasks", "--agent", "IssueAgnt"], { cwd: dir, env });
    expect({ code: typo.code, stdout: typo.stdout }).toEqual({ code: 0, stdout: "no tasks for agent IssueAgnt: did you mean IssueAgent?\n" });
    const unknown = await runCli(["tasks", "--agent", "Frobnicator"], { cwd: dir, env });
    expect(unknown.stdout).toBe("no tasks for agent Frobnicator: no agent of that name is configured, nor has one of the newest tasks\n");
    // --json stays a plain array.
    expect((await runCli(["tasks", "--agent", "IssueAgnt", "--json"], { cwd: dir, env })).stdout).toBe("[]\n");
  });

  it("rejects bad --status and --limit values with exit 2", async () => {
    expect((await runCli(["tasks", "--status", "bogus"], { cwd: dir, env })).code).toBe(2);
    expect((await runCli(["deliveries", "--limit", "0"], { cwd: dir, env })).code).toBe(2);
  });
});

describe("route in Actions mode runs the decided tasks", () => {
  let dir: string;
  let payloadFile: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-actions-"));
    payloadFile = path.join(dir, "event.json");
    writeFileSync(payloadFile, JSON.stringify(exampleOf("issues", "opened")));
    writeFileSync(path.join(dir, "ok.mjs"), `console.log("ran for " + process.env.SWITCHYARD_EVENT);`);
    writeFileSync(path.join(dir, "fail.mjs"), `process.exit(2);`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function config(script: string): string {
    const file = path.join(dir, `${script}.yaml`);
    writeFileSync(file, `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${path.join(dir, script)}"] }\n`);
    return file;
  }

  it("exits 0 when the task succeeds, reporting it in the JSON line", async () => {
    const result = await runCli(["route", "--json", "--config", config("ok.mjs")], { cwd: dir, env: { GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: payloadFile } });
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    const line = JSON.parse(result.stdout);
    expect(line.decision.agent).toBe("IssueAgent");
    expect(line.tasks).toEqual([expect.objectContaining({ agent: "IssueAgent", status: "succeeded", attempts: 1 })]);
  });

  it("exits 1 when a task ends dead", async () => {
    const result = await runCli(["route", "--json", "--config", config("fail.mjs")], { cwd: dir, env: { GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: payloadFile } });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).tasks[0]).toMatchObject({ status: "dead", attempts: 1 });
    // A permanent failure is not retried, and the message says so rather than "after their retries".
    expect(result.stderr).toContain("switchyard: 1 task(s) failed: IssueAgent: exit code 2 (exit 75 to be retried) (a permanent failure: not retried)");
    expect(result.stderr).not.toMatch(/after their retries/);
  });

  it("says how many attempts a transient failure was given before the task ended dead", async () => {
    const file = path.join(dir, "tempfail.yaml");
    writeFileSync(path.join(dir, "tempfail.mjs"), `process.exit(75);`);
    writeFileSync(file, `retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0 }\nagents:\n  IssueAgent: { exec: ["${process.execPath}", "${path.join(dir, "tempfail.mjs")}"] }\n`);
    const result = await runCli(["route", "--json", "--config", file], { cwd: dir, env: { GITHUB_EVENT_NAME: "issues", GITHUB_EVENT_PATH: payloadFile } });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).tasks[0]).toMatchObject({ status: "dead", attempts: 2 });
    expect(result.stderr).toContain("switchyard: 1 task(s) failed: IssueAgent: gave up after 2 attempts: exit code 75 (EX_TEMPFAIL)");
    expect(result.stderr).not.toMatch(/not retried/);
  });

  it("runs the built-in (log) agent by default", async () => {
    const result = await runCli(["route", "--event", "issues", "--payload", payloadFile], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/IssueAgent: succeeded after 1 attempt/);
  });
});
