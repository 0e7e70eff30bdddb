import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { createExecutorTable } from "../agents/executor-table.js";
import { createRegistry } from "../agents/registry.js";
import type { Config } from "../config/schema.js";
import { openStore } from "../store/open-store.js";
import type { NewTask, TaskRecord } from "../store/store.js";
import { createWorker } from "./worker.js";
import { createGithubRuntime } from "../github/github-runtime.js";
import { createRoutingCommentUpdater } from "../agents/builtin/routing-comment.js";

export interface InlineRun {
  delivery: string;
  tasks: TaskRecord[];
}

/**
 * Actions mode: the same path as `serve` without HTTP — the event is stored in a temporary
 * SQLite file, and a worker runs its tasks with the same retry policy until none is left
 * ready or running. The store is thrown away afterwards: in Actions the only memory is
 * GitHub's own state.
 */
export async function runInline(options: {
  config: Config;
  event: string;
  action: string | null;
  repository: string | null;
  installation: number | null;
  number: number | null;
  body: Buffer;
  tasks: readonly NewTask[];
  delivery?: string;
  logger: Logger;
  env: Record<string, string | undefined>;
}): Promise<InlineRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "switchyard-actions-"));
  const store = openStore(`sqlite:${path.join(dir, "actions.db")}`, {});
  try {
    await store.migrate();
    const delivery = options.delivery ?? `actions-${randomUUID()}`;
    const accepted = await store.accept(
      {
        id: delivery,
        signature: null,
        event: options.event,
        action: options.action,
        repository: options.repository,
        installation: options.installation,
        number: options.number,
        headers: {},
        body: options.body,
        receivedAt: Date.now(),
      },
      options.tasks,
      { replayWindowMs: 0 },
    );
    const github = createGithubRuntime(options.config, options.logger);
    await github.resolveIdentity();
    const worker = createWorker({
      store,
      config: options.config,
      github,
      mode: "actions",
      afterTask: createRoutingCommentUpdater(options.config.comments),
      logger: options.logger,
      executorFor: createExecutorTable(options.config.agents, { registry: createRegistry(), baseEnv: options.env }),
    });
    await worker.start();
    await worker.idle();
    await worker.stop();
    const tasks = await store.listTasks({ delivery: accepted.delivery, limit: 1000 });
    return { delivery, tasks: tasks.reverse() };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
