import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { createGithubRuntime } from "../../src/github/github-runtime.js";
import { createLogger } from "../../src/observability/logger.js";
import { createWorker } from "../../src/queue/worker.js";
import { createSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Executor } from "../../src/agents/executors/create-executor.js";
import type { Store } from "../../src/store/store.js";
import { waitFor } from "../support/wait-for.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real SQLite store behind a switch: while `down`, every call fails as an unreachable PostgreSQL's would. */
async function storeWithOutages() {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-outage-"));
  dirs.push(dir);
  const real = createSqliteStore(path.join(dir, "s.db"));
  await real.migrate();
  const state = { down: false };
  const store = new Proxy(real, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== "function" || key === "close") return value;
      return (...args: unknown[]) => {
        if (state.down) return Promise.reject(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Store;
  return { real, store, state };
}

async function acceptOne(store: Store): Promise<string> {
  const body = Buffer.from(JSON.stringify({ action: "opened", issue: { number: 1, title: "t", body: "", labels: [], user: { login: "u" } }, repository: { full_name: "octo/hello" }, sender: { login: "u", type: "User" } }));
  const result = await store.accept(
    { id: `d-${Date.now()}-${Math.random()}`, signature: null, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, headers: {}, body, receivedAt: Date.now() },
    [{ rule: "issue-opened", agent: "IssueAgent", action: "triage", priority: "high", idempotencyKey: null }],
    { replayWindowMs: 60_000 },
  );
  if (result.duplicate) throw new Error("duplicate");
  return result.tasks[0]!.id;
}

/** The task once it succeeded (within 10 s). */
function succeeded(store: Store, id: string) {
  return waitFor(async () => {
    const t = await store.getTask(id);
    return t?.status === "succeeded" ? t : null;
  }, 10_000);
}

function workerOn(store: Store, run: Executor) {
  const { config } = parseConfig({ worker: { leaseMs: 1000, concurrency: 1 }, retry: { initialDelayMs: 50, maxDelayMs: 100 } });
  const logger = createLogger(process.env.DEBUG_OUTAGE ? "debug" : "silent");
  return createWorker({ store, config, github: createGithubRuntime(config, logger), logger, pollMs: 50, executorFor: () => run });
}

describe("a store outage while a task runs", () => {
  it("an outcome that could not be written before the lease ran out is written when the store is back, and the task does not run again", async () => {
    const { real, store, state } = await storeWithOutages();
    const id = await acceptOne(store);
    let runs = 0;
    const worker = workerOn(store, async () => {
      // The store goes away as the agent finishes, for longer than the lease (1 s).
      if (++runs === 1) {
        state.down = true;
        setTimeout(() => (state.down = false), 1_600);
      }
      return { output: "done" };
    });
    await worker.start();
    try {
      const task = await succeeded(real, id);
      expect(runs).toBe(1);
      expect(task.attempts).toBe(1);
      expect(task.attemptLog).toMatchObject([{ n: 1, outcome: "succeeded", output: "done" }]);
    } finally {
      await worker.stop(1000);
      await real.close();
    }
  });

  it("a store that cannot be read before a rerun hands the attempt back, not counted: the agent did not run", async () => {
    const { real, store } = await storeWithOutages();
    const id = await acceptOne(store);
    // Attempt 1 failed transiently: the next one first reads the earlier attempts' processes.
    const [first] = await real.claim({ owner: "w0", now: Date.now(), leaseMs: 30_000, limit: 1 });
    await real.complete(id, first!.leaseToken, { status: "ready", outcome: "transient", runAt: Date.now(), retryDelayMs: 0, error: "HTTP 502" }, Date.now());
    let failedReads = 0;
    const flaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key === "listAttemptProcesses") {
          return (taskId: string) =>
            failedReads++ === 0 ? Promise.reject(new Error("timeout exceeded when trying to connect")) : target.listAttemptProcesses!(taskId);
        }
        return Reflect.get(target, key, receiver);
      },
    }) as Store;
    let runs = 0;
    const worker = workerOn(flaky, async () => {
      runs++;
      return { output: "done" };
    });
    await worker.start();
    try {
      const task = await succeeded(real, id);
      expect(runs).toBe(1);
      expect(task.attemptLog.map((a) => a.outcome)).toEqual(["transient", "handed-back", "succeeded"]);
      expect(task.attemptLog[1]!.error).toMatch(/^could not read the processes of the task's earlier attempts: timeout exceeded when trying to connect: the agent did not run; tried again shortly \(not counted as a retry\)$/);
    } finally {
      await worker.stop(1000);
      await real.close();
    }
  });
});
