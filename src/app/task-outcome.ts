import type { TaskDetail } from "../store/store.js";

/**
 * A task's outcome as a run reports it: a cancelled run's tasks that had not finished
 * (running when it stopped, or waiting for a retry) are "cancelled", not the "ready" the
 * store keeps for a stop — nothing will run them again.
 *
 * @example taskOutcome({ status: "ready" } as TaskDetail, "SIGINT") // "cancelled"
 */
export function taskOutcome(task: Pick<TaskDetail, "status">, cancelled: string | null | undefined): TaskDetail["status"] | "cancelled" {
  return cancelled != null && (task.status === "ready" || task.status === "running") ? "cancelled" : task.status;
}
