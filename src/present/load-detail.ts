import { MAX_ASKS } from "../recovery/run-sweep.js";
import type { Store } from "../store/store.js";
import { presentDelivery, presentTaskDetail, type TaskWrites } from "./records.js";

/** More writes than this for one task is a runaway agent; the view shows the first ones. */
const WRITES_PER_TASK = 1000;

async function writesOf(store: Store, taskId: string): Promise<TaskWrites> {
  return (await store.listGithubActions({ task: taskId, limit: WRITES_PER_TASK })).reverse();
}

/**
 * Why a delivery id may be missing, for every place that looks one up (`deliveries show`,
 * `GET /api/deliveries/:id`, the dashboard): duplicates and refused requests are never stored
 * (by design, docs/security.md), so "no such delivery" alone sends people looking for a bug.
 */
export function deliveryNotFound(id: string): string {
  return `no delivery ${id} in the store: a duplicate (the same body as a stored delivery) and a refused request (bad signature, rate limit, too large…) are not stored; the server's log names the delivery id of a duplicate (with duplicate_of, the stored one), of a failed signature check and, at info, of a request refused as malformed or too large; a delivery older than store.retention.rows is deleted`;
}

/** Why a task id may be missing: retention deletes tasks with their delivery. */
const TASK_GONE = "no task had that id, or it was deleted with its delivery once that was older than store.retention.rows";

export function taskNotFound(id: string): string {
  return `no task ${id} in the store: ${TASK_GONE}`;
}

/** The end of a replay refused for ids the store does not have: why they may be missing. */
export function missingForReplay(kind: "deliveries" | "tasks", ids: readonly string[]): string {
  const why =
    kind === "deliveries"
      ? "a duplicate or a refused request is never stored, and a delivery older than store.retention.rows is deleted (switchyard deliveries show ID says more)"
      : TASK_GONE;
  return `no such ${kind === "deliveries" ? "delivery" : "task"}: ${ids.join(", ")} (nothing was replayed): ${why}`;
}

/**
 * deliveryNotFound, or, for a delivery GitHub failed to deliver that the missed-delivery
 * sweep asked for, what the sweep did: the one place the store knows of it.
 */
export async function describeMissingDelivery(store: Store, id: string): Promise<string> {
  const history = (await store.readRedeliveries?.([id]))?.get(id);
  if (history === undefined || history.asks === 0) return deliveryNotFound(id);
  const asked = `the missed-delivery sweep asked GitHub to redeliver it ${history.asks} ${history.asks === 1 ? "time" : "times"}, the last at ${new Date(history.lastAskedAt).toISOString()}`;
  const status = history.lastStatus;
  // A 4xx is GitHub refusing this delivery (422: too old to redeliver): nothing is on its way.
  const refused = status !== null && status >= 400 && status < 500 ? `GitHub refused the last ask (HTTP ${status})` : null;
  const then =
    history.asks >= MAX_ASKS
      ? `${refused === null ? "" : `${refused}, `}and gave up: redeliver it by hand from the webhook's Recent Deliveries on GitHub (its answers are in the store's redeliveries table)`
      : refused !== null
        ? `${refused}: the next sweep asks again (at most ${MAX_ASKS} asks in all), or redeliver it by hand from the webhook's Recent Deliveries`
        : "and it has not arrived yet: the next sweep asks again, or redeliver it by hand from the webhook's Recent Deliveries";
  return `no delivery ${id} in the store: GitHub failed to deliver it; ${asked}, ${then}`;
}

/** One delivery whole, with every task's GitHub writes, in its printed shape; null when unknown. */
export async function loadDeliveryDetail(store: Store, id: string, options: { payload?: boolean } = {}) {
  // The payload as checked text: where the store reads on another thread, a large body is parsed there.
  const record = await store.getDelivery(id, { payloadText: options.payload !== false });
  if (!record) return null;
  const writes = new Map<string, TaskWrites>();
  for (const task of record.tasks) writes.set(task.id, await writesOf(store, task.id));
  return presentDelivery(record, writes, options);
}

/** One task whole, with its attempts and GitHub writes, in its printed shape; null when unknown. */
export async function loadTaskDetail(store: Store, id: string) {
  const task = await store.getTask(id);
  return task ? presentTaskDetail(task, await writesOf(store, id)) : null;
}

export type DeliveryDetail = NonNullable<Awaited<ReturnType<typeof loadDeliveryDetail>>>;
export type TaskDetailView = NonNullable<Awaited<ReturnType<typeof loadTaskDetail>>>;
