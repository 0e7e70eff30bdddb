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

describe("worker.stop", () => {
  it("waits for a claim on its way and hands its tasks back uncounted instead of starting them", async () => {
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
    const taskId = accepted.duplicate ? "" : accepted.tasks[0]!.id;
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
    expect(task.attempt_log.map((a) => a.outcome)).toEqual(["shutdown"]);
    await real.close();
  });
});
