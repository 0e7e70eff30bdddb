import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createExecutorTable } from "../../src/agents/executor-table.js";
import { createRegistry } from "../../src/agents/registry.js";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { describeGroup, groupHasLiveMembers } from "../../src/queue/process-group.js";
import { createWorker } from "../../src/queue/worker.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";
import { exampleOf } from "../support/examples.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function storeWithOneTask(): Promise<{ real: ReturnType<typeof createSqliteStore>; taskId: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-stop-"));
  dirs.push(dir);
  const real = createSqliteStore(path.join(dir, "s.db"));
  await real.migrate();
  const body = Buffer.from(JSON.stringify(exampleOf("issues", "opened")));
  const accepted = await real.accept(
    { id: "d-stop", signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body, receivedAt: Date.now() },
    [{ rule: "issue-opened", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null }],
    { replayWindowMs: 1000 },
  );
  return { real, taskId: accepted.duplicate ? "" : accepted.tasks[0]!.id };
}

/**
 * A worker whose one run ignores ctx.signal, like a GitHub call in flight: it ends only when
 * `release` is called. `isRunning` settles once the run has begun.
 */
function workerWithStuckRun(store: Store): { worker: ReturnType<typeof createWorker>; isRunning: Promise<void>; release: () => void } {
  const { config } = parseConfig({});
  const logger = createLogger("silent");
  let release!: () => void;
  const stuck = new Promise<void>((resolve) => (release = resolve));
  let running!: () => void;
  const isRunning = new Promise<void>((resolve) => (running = resolve));
  const worker = createWorker({
    store,
    config,
    github: createGithubRuntime(config, logger),
    logger,
    pollMs: 10_000,
    executorFor: () => async () => {
      running();
      await stuck;
    },
  });
  return { worker, isRunning, release };
}

describe("worker.stop", () => {
  it("does not wait for ever on a run that ignores the abort: its lease is handed back uncounted", async () => {
    const { real, taskId } = await storeWithOneTask();
    const { worker, isRunning, release } = workerWithStuckRun(real);
    await worker.start();
    await isRunning;
    const started = Date.now();
    await worker.stop(100);
    // The drain (100 ms), then the abort grace (7 s), not the run's own length.
    expect(Date.now() - started).toBeLessThan(12_000);
    const task = (await real.getTask(taskId))!;
    expect(task).toMatchObject({ status: "ready", attempts: 1 });
    expect(task.attemptLog.map((a) => a.outcome)).toEqual(["shutdown"]);
    // Its late completion is refused by the fence: the handed-back task stays ready.
    release();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await real.getTask(taskId))!.status).toBe("ready");
    await real.close();
  });

  it("a stop after a kill does not wait for a run the kill handed back (Actions mode reports a cancelled run in time)", async () => {
    const { real, taskId } = await storeWithOneTask();
    // Never released: a GitHub call that hangs.
    const { worker, isRunning } = workerWithStuckRun(real);
    await worker.start();
    await isRunning;
    await worker.kill(100);
    expect((await real.getTask(taskId))!).toMatchObject({ status: "ready" });
    const started = Date.now();
    await worker.stop(25_000);
    // Neither the 25 s drain nor the abort grace after it.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(worker.running()).toBe(0);
    await real.close();
  });

  it("waits for a claim on its way and hands its tasks back uncounted instead of starting them", async () => {
    const { real, taskId } = await storeWithOneTask();
    // A store whose claims take a while: stop() is called while one is on its way.
    let claimStarted!: () => void;
    const claiming = new Promise<void>((resolve) => (claimStarted = resolve));
    const store: Store = {
      ...real,
      claim: async (options) => {
        claimStarted();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return real.claim(options);
      },
    };
    const { config } = parseConfig({});
    const logger = createLogger("silent");
    const ran: string[] = [];
    const worker = createWorker({
      store,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      executorFor: () => async (ctx) => {
        ran.push(ctx.task.id);
      },
    });
    await worker.start();
    await claiming;
    await worker.stop(1000);
    expect(ran).toEqual([]);
    const task = (await real.getTask(taskId))!;
    expect(task).toMatchObject({ status: "ready", attempts: 1 });
    expect(task.attemptLog.map((a) => a.outcome)).toEqual(["shutdown"]);
    await real.close();
  });
});

/** A logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { logger: pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) }), lines };
}

describe("worker.stop and worker.kill with an exec agent", () => {
  const SLEEPER = [process.execPath, "-e", "setTimeout(() => {}, 60000)"];

  it("says while draining what still runs and the time left", async () => {
    const { real } = await storeWithOneTask();
    const { config } = parseConfig({});
    const { logger, lines } = capturingLogger();
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const worker = createWorker({
      store: real,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      executorFor: () => async (ctx) => {
        running();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        throw new Error("aborted");
      },
    });
    await worker.start();
    await isRunning;
    await worker.stop(300);
    expect(lines.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^draining: 1 task still running \(IssueAgent task 1, \d+ s\); 1 s left$/));
    await real.close();
  });

  it("kill: the agent's process group dies at once and the task goes back uncounted, also in the middle of a drain", async () => {
    const { real, taskId } = await storeWithOneTask();
    const { config } = parseConfig({ agents: { IssueAgent: { exec: SLEEPER } } });
    const logger = createLogger("silent");
    const worker = createWorker({
      store: real,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      executorFor: createExecutorTable(config.agents, { registry: createRegistry(), baseEnv: process.env }),
    });
    await worker.start();
    // The group is recorded on the attempt as soon as the agent runs.
    const [recorded] = await waitForProcess(real, taskId);
    expect(await groupHasLiveMembers(recorded!.pgid)).toBe(true);
    const draining = worker.stop(30_000);
    const started = Date.now();
    await worker.kill(5000);
    // Not the drain's 30 s, nor the 60 s of the agent.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await groupHasLiveMembers(recorded!.pgid)).toBe(false);
    const task = (await real.getTask(taskId))!;
    expect(task).toMatchObject({ status: "ready", attempts: 1 });
    expect(task.attemptLog.map((a) => a.outcome)).toEqual(["shutdown"]);
    await draining;
    await real.close();
  });

  // Recognising the orphan needs its start from /proc: elsewhere it is left alone (and logged).
  it.skipIf(process.platform !== "linux")("before a task runs again, kills the group its earlier attempt left running on this host", async () => {
    const { real, taskId } = await storeWithOneTask();
    const { config } = parseConfig({});
    const logger = createLogger("silent");
    // Attempt 1: its worker vanished (kill -9), leaving its agent running, and its lease expired.
    const [first] = await real.claim({ owner: "gone", now: Date.now(), leaseMs: 1000, limit: 1 });
    const orphan = spawn(SLEEPER[0]!, SLEEPER.slice(1), { detached: true, stdio: "ignore" });
    await new Promise((resolve) => orphan.once("spawn", resolve));
    expect(await real.recordAttemptProcess!(taskId, first!.leaseToken, describeGroup(orphan.pid!))).toBe(true);
    expect(await real.reclaimExpired(Date.now(), { expiredBefore: Date.now() + 2000 })).toMatchObject({ requeued: 1, dead: 0 });

    let orphanAliveAtRerun: boolean | null = null;
    let ran!: () => void;
    const rerun = new Promise<void>((resolve) => (ran = resolve));
    const worker = createWorker({
      store: real,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      executorFor: () => async () => {
        orphanAliveAtRerun = await groupHasLiveMembers(orphan.pid!);
        ran();
      },
    });
    await worker.start();
    await rerun;
    await worker.stop(5000);
    expect(orphanAliveAtRerun).toBe(false);
    expect((await real.getTask(taskId))!).toMatchObject({ status: "succeeded", attempts: 2 });
    await real.close();
  });

  it("leaves alone a live group whose recorded start does not match (its id was reused)", async () => {
    const { real, taskId } = await storeWithOneTask();
    const { config } = parseConfig({});
    const logger = createLogger("silent");
    const [first] = await real.claim({ owner: "gone", now: Date.now(), leaseMs: 1000, limit: 1 });
    const stranger = spawn(SLEEPER[0]!, SLEEPER.slice(1), { detached: true, stdio: "ignore" });
    await new Promise((resolve) => stranger.once("spawn", resolve));
    try {
      const recorded = describeGroup(stranger.pid!);
      await real.recordAttemptProcess!(taskId, first!.leaseToken, { ...recorded, start: recorded.start === null ? null : `${recorded.start}0` });
      await real.reclaimExpired(Date.now(), { expiredBefore: Date.now() + 2000 });
      let ran!: () => void;
      const rerun = new Promise<void>((resolve) => (ran = resolve));
      const worker = createWorker({ store: real, config, github: createGithubRuntime(config, logger), logger, pollMs: 10_000, executorFor: () => async () => ran() });
      await worker.start();
      await rerun;
      await worker.stop(5000);
      expect(await groupHasLiveMembers(stranger.pid!)).toBe(true);
    } finally {
      stranger.kill("SIGKILL");
      await real.close();
    }
  });
});

async function waitForProcess(store: ReturnType<typeof createSqliteStore>, taskId: string) {
  for (let i = 0; i < 200; i++) {
    const processes = await store.listAttemptProcesses!(taskId);
    if (processes.length > 0) return processes;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("the agent's process group was never recorded");
}

describe("worker.idle", () => {
  it("survives a store that fails while it looks: no unhandled rejection, and idle resolves once the store answers", async () => {
    const { real } = await storeWithOneTask();
    const { config } = parseConfig({});
    const logger = createLogger("silent");
    let failing = true;
    let failures = 0;
    // The real store, except that nextRunAt fails while `failing` is set.
    const flaky: Store = Object.create(real, {
      nextRunAt: {
        value: async () => {
          if (failing) {
            failures++;
            throw new Error("database is gone");
          }
          return real.nextRunAt();
        },
      },
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    const worker = createWorker({ store: flaky, config, github: createGithubRuntime(config, logger), logger, pollMs: 50, executorFor: () => async () => {} });
    try {
      await worker.start();
      const idle = worker.idle();
      while (failures < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      failing = false;
      await idle;
      expect(unhandled).toEqual([]);
      expect((await real.listTasks({ limit: 5 }))[0]!.status).toBe("succeeded");
    } finally {
      process.off("unhandledRejection", onUnhandled);
      await worker.stop(1000);
      await real.close();
    }
  });
});
