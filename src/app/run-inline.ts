import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import type { NewTask, TaskRecord } from "../store/store.js";
import { createRuntime } from "./create-runtime.js";

export interface InlineRun {
  delivery: string;
  tasks: TaskRecord[];
}

/**
 * Actions mode: the same path as `serve` without HTTP — the event is stored in a temporary
 * SQLite file, and a worker runs its tasks with the same retry policy until none is left
 * ready or running. The store is thrown away afterwards: in Actions the only memory is
 * GitHub's own state.
 *
 * @example
 * const run = await runInline({ config, event: "issues", action: "opened", repository: "octo/hello", installation: null, number: 1, body, tasks, logger, env: process.env });
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
  const runtime = await createRuntime({ config: options.config, logger: options.logger, env: options.env, mode: "actions" });
  const { store, worker } = runtime;
  try {
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
    await worker!.start();
    await worker!.idle();
    await runtime.drain();
    const tasks = await store.listTasks({ delivery: accepted.delivery, limit: 1000 });
    return { delivery, tasks: tasks.reverse() };
  } finally {
    await runtime.close();
  }
}
