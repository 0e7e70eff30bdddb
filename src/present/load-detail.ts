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
  return `no delivery ${id} in the store: a duplicate (the same body as a stored delivery) and a refused request (bad signature, rate limit, too large…) are not stored; the server's log names the delivery id of a duplicate (with duplicate_of, the stored one) and of a failed signature check; a delivery older than store.retention.rows is deleted`;
}

/** One delivery whole, with every task's GitHub writes, in its printed shape; null when unknown. */
export async function loadDeliveryDetail(store: Store, id: string) {
  const record = await store.getDelivery(id);
  if (!record) return null;
  const writes = new Map<string, TaskWrites>();
  for (const task of record.tasks) writes.set(task.id, await writesOf(store, task.id));
  return presentDelivery(record, writes);
}

/** One task whole, with its attempts and GitHub writes, in its printed shape; null when unknown. */
export async function loadTaskDetail(store: Store, id: string) {
  const task = await store.getTask(id);
  return task ? presentTaskDetail(task, await writesOf(store, id)) : null;
}

export type DeliveryDetail = NonNullable<Awaited<ReturnType<typeof loadDeliveryDetail>>>;
export type TaskDetailView = NonNullable<Awaited<ReturnType<typeof loadTaskDetail>>>;
