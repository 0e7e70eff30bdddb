import type { Store } from "../store/store.js";
import { presentDelivery, presentTaskDetail, type TaskWrites } from "./records.js";

/** More writes than this for one task is a runaway agent; the view shows the first ones. */
const WRITES_PER_TASK = 1000;

async function writesOf(store: Store, taskId: string): Promise<TaskWrites> {
  return (await store.listGithubActions({ task: taskId, limit: WRITES_PER_TASK })).reverse();
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
