import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { createMemoryStore } from "../store/memory/memory-store.js";
import type { GithubActionRecord, NewTask, TaskDetail } from "../store/store.js";
import { createRuntime } from "./create-runtime.js";
import { ACTIONS_STOPPED } from "../queue/worker.js";

export interface InlineRun {
  delivery: string;
  /** Every task of the delivery, oldest first, with its attempts. */
  tasks: TaskDetail[];
  /** The GitHub writes the tasks made (or, in dry-run, would have made), oldest first. */
  writes: GithubActionRecord[];
  /** The signal that cancelled the run (SIGINT, SIGTERM); null or absent when it was not. */
  cancelled?: string | null;
}

/** How long a cancelled run waits for its killed agents to end before their tasks are handed back anyway. */
const CANCEL_WITHIN_MS = 3000;

/**
 * Actions mode: the same path as `serve` without HTTP — the event is accepted into the
 * in-memory store, and a worker runs its tasks with the same retry policy until none is
 * left ready or running. The store lives as long as the run: in Actions the only lasting
 * memory is GitHub's own state, so what happened is handed back (and goes to the job
 * summary) before it is let go.
 *
 * Aborting `stop` (route does on SIGINT or SIGTERM: a cancelled workflow run, a
 * `timeout-minutes`) cancels the run as serve's forced stop does: every running agent is
 * aborted and an exec agent's process group killed, nothing new starts, and what was done
 * is handed back with `cancelled` set to the abort's reason.
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
  /** Aborted with the signal's name as its reason: cancels the run. */
  stop?: AbortSignal;
}): Promise<InlineRun> {
  const store = createMemoryStore();
  const runtime = await createRuntime({ config: options.config, logger: options.logger, env: options.env, mode: "actions", store: { store, migrated: [], close: () => store.close() } });
  const { worker } = runtime;
  try {
    const delivery = options.delivery ?? `actions-${randomUUID()}`;
    await store.accept(
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
    const { stop } = options;
    const stopped = new Promise<void>((resolve) => {
      if (stop?.aborted) resolve();
      stop?.addEventListener("abort", () => resolve(), { once: true });
    });
    await worker!.start();
    // A cancelled run is never idle: the tasks its stop handed back stay ready. A stop that
    // comes once the run is idle cancels nothing: every task has finished.
    const cancelled = (await Promise.race([worker!.idle().then(() => false), stopped.then(() => true)])) ? String(stop!.reason) : null;
    // kill hands back what did not stop (an agent blocked in a GitHub call) and forgets it,
    // so the drain after it has nothing left to wait for: the report comes within
    // CANCEL_WITHIN_MS, before the runner's SIGKILL.
    if (cancelled !== null) await worker!.kill(CANCEL_WITHIN_MS);
    await runtime.drain(cancelled === null ? undefined : 0);
    const stored = (await store.getDelivery(delivery))?.tasks ?? [];
    // A task that was waiting for its retry when the run was cancelled still holds the
    // failure it waited on: said, with what the cancellation means for it.
    const tasks = cancelled === null ? stored : stored.map((task) => (task.status === "ready" && task.lastError !== ACTIONS_STOPPED ? { ...task, lastError: `${ACTIONS_STOPPED}; it was waiting for a retry after: ${task.lastError ?? "a failure"}` } : task));
    const writes: GithubActionRecord[] = [];
    for (const task of tasks) writes.push(...(await store.listGithubActions({ task: task.id, limit: Number.POSITIVE_INFINITY })).reverse());
    return { delivery, tasks, writes, cancelled };
  } finally {
    await runtime.close();
  }
}
