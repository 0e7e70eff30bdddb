import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
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

describe("worker.stop", () => {
  it("does not wait for ever on a run that ignores the abort: its lease is handed back uncounted", async () => {
    const { real, taskId } = await storeWithOneTask();
    const { config } = parseConfig({});
    const logger = createLogger("silent");
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let running!: () => void;
    const isRunning = new Promise<void>((resolve) => (running = resolve));
    const worker = createWorker({
      store: real,
      config,
      github: createGithubRuntime(config, logger),
      logger,
      pollMs: 10_000,
      // Ignores ctx.signal, like a GitHub call in flight.
      executorFor: () => async () => {
        running();
        await stuck;
      },
    });
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
