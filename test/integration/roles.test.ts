import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startServer } from "../../src/app/start-server.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createLogger } from "../../src/observability/logger.js";
import { signPayload } from "../../src/security/verify-signature.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { exampleOf } from "../support/examples.js";
import { freePort, startServeProcess, type ServeProcess } from "../support/serve-process.js";
import { startTestServer, type TestServer } from "../support/start-test-server.js";
import { waitFor } from "../support/wait-for.js";

const json = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A SQLite file with one delivery and its ready task (IssueAgent's unless given), as an ingest process leaves it. */
async function seededDatabase(dir: string, task = { rule: "issue-opened", agent: "IssueAgent", action: "triage" }): Promise<string> {
  const dbFile = path.join(dir, "switchyard.db");
  const store = createSqliteStore(dbFile);
  await store.migrate();
  await store.accept(
    { id: "d-waiting", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(exampleOf("issues", "opened"))), receivedAt: Date.now() },
    [{ ...task, priority: "high", idempotencyKey: null }],
    { replayWindowMs: 1000 },
  );
  await store.close();
  return dbFile;
}

/** A worker on the SQLite file whose config has MyAgent, a program that prints "done". */
async function workerWithMyAgent(dbFile: string, dir: string) {
  const withAgent = parseConfig({
    server: { port: await freePort(), host: "127.0.0.1" },
    admin: { port: 0 },
    store: { url: `sqlite:${dbFile}` },
    agents: { MyAgent: { exec: [process.execPath, "-e", "process.stdout.write('done')"] } },
    routing: { rules: [{ id: "my-issue", when: { event: "issues", action: "opened" }, agent: "MyAgent", priority: "high", action: "Run my agent" }] },
  });
  return startServer({ loaded: withAgent, secrets: [], logger: createLogger("silent"), cwd: dir, env: {}, role: "worker", pollMs: 20 });
}

describe("serve roles", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("ingest: accepts deliveries, and no task is ever claimed", async () => {
    const ran: string[] = [];
    const server: TestServer = await startTestServer({}, undefined, { role: "ingest", pollMs: 20, executorFor: () => async (ctx) => void ran.push(ctx.task.id) });
    cleanups.push(() => server.stop());
    expect(server.role).toBe("ingest");
    const res = await server.deliver("issues", exampleOf("issues", "opened"));
    expect(res.status).toBe(202);
    // Many poll intervals: a worker, had there been one, would have claimed it long since.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const tasks = await server.store.listTasks({ limit: 10 });
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((t) => t.status === "ready" && t.attempts === 0)).toBe(true);
    expect(ran).toEqual([]);
    // A replay through the admin API re-queues, and still nothing runs here.
    const replay = await fetch(`${server.adminUrl}/api/tasks/${tasks[0]!.id}/replay`, { method: "POST" });
    expect(replay.status).toBeLessThan(300);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran).toEqual([]);

    const health = await json(`${server.adminUrl}/healthz`);
    expect(health).toEqual({ status: 200, body: { status: "ok", role: "ingest", webhookListening: true, adminListening: true, migrated: true, draining: false } });
    expect(await json(`${server.adminUrl}/readyz`)).toEqual({ status: 200, body: { status: "ready", role: "ingest" } });
  });

  it("worker: opens no webhook listener, runs the tasks already in the store, and is healthy", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-worker-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbFile = await seededDatabase(dir);
    const webhookPort = await freePort();
    const ran: string[] = [];
    const loaded = parseConfig({ server: { port: webhookPort, host: "127.0.0.1" }, admin: { port: 0 }, store: { url: `sqlite:${dbFile}` } });
    const server = await startServer({ loaded, secrets: [], logger: createLogger("silent"), cwd: dir, env: {}, role: "worker", pollMs: 20, executorFor: () => async (ctx) => void ran.push(ctx.task.id) });
    cleanups.push(() => server.close());

    expect(server.role).toBe("worker");
    expect(server.webhookUrl).toBeNull();
    await expect(fetch(`http://127.0.0.1:${webhookPort}/webhooks/github`, { method: "POST" })).rejects.toThrow();
    const [task] = await waitFor(async () => {
      const tasks = await server.store.listTasks({ limit: 10 });
      return tasks.length === 1 && tasks[0]!.status === "succeeded" ? tasks : null;
    });
    expect(ran).toEqual([task!.id]);

    const health = await json(`${server.adminUrl}/healthz`);
    expect(health).toEqual({ status: 200, body: { status: "ok", role: "worker", webhookListening: false, adminListening: true, migrated: true, draining: false } });
    expect(await json(`${server.adminUrl}/readyz`)).toEqual({ status: 200, body: { status: "ready", role: "worker" } });
  });

  it("worker: a task for an agent its config does not have stays ready, said once, never run by a stand-in nor failed; a worker with the agent runs it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-unconfigured-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // What an ingest with `agents: { MyAgent: … }` leaves, read by a worker started without that config.
    const dbFile = await seededDatabase(dir, { rule: "my-issue", agent: "MyAgent", action: "Run my agent" });
    const lines: { level: number; msg: string; agent?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const without = parseConfig({ server: { port: await freePort(), host: "127.0.0.1" }, admin: { port: 0 }, store: { url: `sqlite:${dbFile}` } });
    const first = await startServer({ loaded: without, secrets: [], logger, cwd: dir, env: {}, role: "worker", pollMs: 20 });
    try {
      const said = await waitFor(() => lines.find((l) => l.agent === "MyAgent"));
      expect(said).toMatchObject({ level: 40 });
      expect(said!.msg).toMatch(/^tasks for agent MyAgent wait in the store, and this process has no agent MyAgent \(not built in, not under agents in its config\): they stay ready, not run and not failed/);
      // Several polls later, still untouched.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await first.store.listTasks({ limit: 10 })).toEqual([expect.objectContaining({ agent: "MyAgent", status: "ready", attempts: 0 })]);
      expect(lines.filter((l) => l.agent === "MyAgent")).toHaveLength(1);
      // A replay of it says it waits for an agent this server lacks, instead of "due now".
      const [waiting] = await first.store.listTasks({ limit: 1 });
      const replayed = await fetch(`${first.adminUrl}/api/tasks/${waiting!.id}/replay`, { method: "POST" });
      expect(await replayed.json()).toEqual({ task: waiting!.id, replayed: true, was: "ready", agent: "MyAgent", delivery: waiting!.delivery, agent_missing: true });
    } finally {
      await first.close();
    }
    const second = await workerWithMyAgent(dbFile, dir);
    cleanups.push(() => second.close());
    const [task] = await waitFor(async () => {
      const tasks = await second.store.listTasks({ limit: 10 });
      return tasks.length === 1 && tasks[0]!.status === "succeeded" ? tasks : null;
    });
    expect(task).toMatchObject({ agent: "MyAgent", attempts: 1 });
  });

  it("worker: a task for an agent it lacks that arrives after its start (another instance's config, a replay) is handed back unrun and uncounted, never failed", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "switchyard-late-agent-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const dbFile = path.join(dir, "switchyard.db");
    const lines: { level: number; msg: string; agent?: string }[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const without = parseConfig({ server: { port: await freePort(), host: "127.0.0.1" }, admin: { port: 0 }, store: { url: `sqlite:${dbFile}` } });
    const first = await startServer({ loaded: without, secrets: [], logger, cwd: dir, env: {}, role: "worker", pollMs: 20 });
    let taskId: string;
    try {
      // Routed by a switchyard whose config has MyAgent, after this worker looked at the store.
      const accepted = await first.store.accept(
        { id: "d-late", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body: Buffer.from(JSON.stringify(exampleOf("issues", "opened"))), receivedAt: Date.now() },
        [{ rule: "my-issue", agent: "MyAgent", action: "Run my agent", priority: "high", idempotencyKey: null }],
        { replayWindowMs: 1000 },
      );
      taskId = (accepted as { tasks: { id: string }[] }).tasks[0]!.id;
      const handedBack = await waitFor(async () => {
        const task = await first.store.getTask(taskId);
        return task?.attemptLog.length === 1 && task.status === "ready" ? task : null;
      });
      expect(handedBack.attemptLog[0]).toMatchObject({ outcome: "handed-back", error: expect.stringMatching(/^this process has no agent MyAgent: handed back unrun/) });
      // Several polls later: not claimed again, and said once.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await first.store.getTask(taskId))!.attemptLog).toHaveLength(1);
      expect(lines.filter((l) => l.agent === "MyAgent" && /^tasks for agent MyAgent wait in the store/.test(l.msg))).toHaveLength(1);
    } finally {
      await first.close();
    }
    const second = await workerWithMyAgent(dbFile, dir);
    cleanups.push(() => second.close());
    const done = await waitFor(async () => {
      const task = await second.store.getTask(taskId);
      return task?.status === "succeeded" ? task : null;
    });
    expect(done.attemptLog.map((a) => a.outcome)).toEqual(["handed-back", "succeeded"]);
    // The hand-back is not a retry.
    const kpi = await second.store.readKpiCounts!({ since: 0, until: Date.now() + 1 });
    expect(kpi).toMatchObject({ finishedTasks: 1, retries: 0 });
  });

  it("all (the default) reports its role; server.role in the config picks another, and the option wins over it", async () => {
    const all = await startTestServer({}, undefined, { role: undefined });
    cleanups.push(() => all.stop());
    expect((await json(`${all.adminUrl}/healthz`)).body).toMatchObject({ status: "ok", role: "all" });

    const fromConfig = await startTestServer({ server: { role: "ingest" } });
    cleanups.push(() => fromConfig.stop());
    expect(fromConfig.role).toBe("ingest");

    const overridden = await startTestServer({ server: { role: "ingest" } }, undefined, { role: "worker" });
    cleanups.push(() => overridden.stop());
    expect(overridden.role).toBe("worker");
    expect(overridden.webhookUrl).toBe("");
    await expect(overridden.deliver("issues", {})).rejects.toThrow(/no webhook listener/);
  });
});

describe("serve and work as processes", () => {
  let dir: string;
  const children: ServeProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.child.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("work runs the tasks an ingest left waiting, and says what it runs", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-work-"));
    const dbFile = await seededDatabase(dir);
    writeFileSync(path.join(dir, "switchyard.config.yaml"), `agents:\n  IssueAgent: { exec: ["${process.execPath}", "-e", "0"] }\n`);
    const worker = await startServeProcess(dir, { DATABASE_URL: "sqlite:switchyard.db" }, ["work"]);
    children.push(worker);
    expect((await json(`${worker.adminUrl}/healthz`)).body).toMatchObject({ status: "ok", role: "worker", webhookListening: false });
    await expect(fetch(worker.webhookUrl, { method: "POST" })).rejects.toThrow();
    await waitFor(() => /switchyard: store sqlite:switchyard\.db/.test(worker.stderr()));
    expect(worker.stderr()).toContain("switchyard: role worker: admin API and worker, no webhook listener");
    expect(worker.stderr()).not.toContain("receiving webhooks");
    // A worker verifies no webhook, so it generates no secret.
    expect(worker.stderr()).not.toContain("no WEBHOOK_SECRET configured");
    await waitFor(async () => {
      const store = createSqliteStore(dbFile, { readonly: true });
      try {
        return (await store.listTasks({ limit: 5 }))[0]?.status === "succeeded";
      } finally {
        await store.close();
      }
    });
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
  });

  it("serve --role ingest on SQLite says tasks will wait; SWITCHYARD_ROLE sets the role too", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-ingest-"));
    const ingest = await startServeProcess(dir, { WEBHOOK_SECRET: "s", DATABASE_URL: "sqlite:switchyard.db" }, ["serve", "--role", "ingest"]);
    children.push(ingest);
    await waitFor(() => /switchyard: store /.test(ingest.stderr()));
    expect(ingest.stderr()).toContain("switchyard: role ingest: webhook listener and admin API, no worker");
    expect(ingest.stderr().match(/role ingest on SQLite: .*tasks stay ready/g)).toHaveLength(1);
    expect((await json(`${ingest.adminUrl}/readyz`)).body).toEqual({ status: "ready", role: "ingest" });
    ingest.child.kill("SIGTERM");
    await ingest.exited;

    const viaEnv = await startServeProcess(dir, { WEBHOOK_SECRET: "s", DATABASE_URL: "sqlite:switchyard.db", SWITCHYARD_ROLE: "ingest" });
    children.push(viaEnv);
    expect((await json(`${viaEnv.adminUrl}/healthz`)).body).toMatchObject({ role: "ingest" });
  });

  it("a second SIGINT within 2 s is the same request, only logged: the running task finishes and serve exits 0", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "switchyard-sigint-"));
    const agent = path.join(dir, "slow-agent.mjs");
    writeFileSync(agent, `setTimeout(() => console.log("done"), 1500);`);
    writeFileSync(path.join(dir, "switchyard.config.yaml"), `agents:\n  IssueAgent: { exec: ["${process.execPath}", "${agent}"] }\n`);
    const server = await startServeProcess(dir, { WEBHOOK_SECRET: "s", DATABASE_URL: "sqlite:switchyard.db" });
    children.push(server);
    const body = JSON.stringify(exampleOf("issues", "opened"));
    const res = await fetch(server.webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": randomUUID(), "x-hub-signature-256": signPayload("s", body) },
      body,
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await (await fetch(`${server.adminUrl}/api/tasks?status=running`)).json()).length > 0);
    server.child.kill("SIGINT");
    await waitFor(() => server.stderr().includes("SIGINT: finishing in-flight work"));
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain("switchyard: SIGINT again within 2 s: the same request");
    expect(server.stderr()).toContain("switchyard: stopped");
    const store = createSqliteStore(path.join(dir, "switchyard.db"), { readonly: true });
    try {
      expect((await store.listTasks({ limit: 5 }))[0]).toMatchObject({ status: "succeeded", attempts: 1 });
    } finally {
      await store.close();
    }
  });
});
