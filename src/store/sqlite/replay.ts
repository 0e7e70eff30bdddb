import { priorityRank } from "../rows.js";
import type { Database } from "better-sqlite3";
import type { AcceptedTask, NewTask, ReplayedTask, TaskStatus } from "../store.js";
import type { InsertTask } from "./accept.js";

/**
 * Replays, run inside the group-commit writer. A replay re-queues the SAME task row: status
 * ready, run now, attempts keep counting, and its retries start over
 * (retry_base: the retry policy counts attempts from the replay on). last_error is kept until the
 * next attempt ends, so the reason the task died stays visible while it waits. A running
 * task is left alone (re-queueing it would break the lease of the worker running it and run
 * it twice); it still counts as replayed, since it is about to produce a fresh result.
 * A replayed skipped task runs: a replay is an operator's explicit request. Each re-queue
 * counts in `replays` (the http executor's `webhook-id` carries it, so a receiver that
 * de-duplicates tells the re-run from a retry). A re-routed row may name another agent; its
 * attempts keep the agent that ran them (`attempts.agent`).
 */
export interface ReplayOps {
  replayTask(taskId: number, now: number): TaskStatus | null;
  replayDead(now: number): ReplayedTask[];
  replayDelivery(deliveryId: string, tasks: readonly NewTask[], now: number): AcceptedTask[] | null;
}

export function prepareReplay(db: Database, insertTask: InsertTask): ReplayOps {
  const requeue = db.prepare("UPDATE tasks SET status = 'ready', run_at = ?, updated_at = ?, retry_base = attempts, replays = replays + 1 WHERE id = ? AND status <> 'running'");
  // A replayed task takes its idempotency key back when no other task holds it.
  const retakeKey = db.prepare(
    `UPDATE tasks SET holds_key = 1 WHERE id = ? AND holds_key = 0 AND idempotency_key IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.idempotency_key = tasks.idempotency_key AND o.holds_key = 1)`,
  );
  const taskStatus = db.prepare<[number], TaskStatus>("SELECT status FROM tasks WHERE id = ?").pluck();
  const deadTasks = db.prepare<[], { id: number; agent: string }>("SELECT id, agent FROM tasks WHERE status = 'dead' ORDER BY id");
  const requeueDead = db.prepare("UPDATE tasks SET status = 'ready', run_at = ?, updated_at = ?, retry_base = attempts, replays = replays + 1 WHERE status = 'dead'");
  const deliveryExists = db.prepare<[string], number>("SELECT 1 FROM deliveries WHERE id = ?").pluck();
  const taskOfRule = db.prepare<[string, string], { id: number; status: string; agent: string }>(
    "SELECT id, status, agent FROM tasks WHERE delivery = ? AND rule = ? ORDER BY id LIMIT 1",
  );
  // A fresh routing decision may name another agent or priority for the rule (the config
  // changed since): the re-queued row follows the decision.
  const requeueAs = db.prepare(
    "UPDATE tasks SET agent = ?, action = ?, priority = ?, priority_rank = ?, status = 'ready', run_at = ?, updated_at = ?, retry_base = attempts, replays = replays + 1 WHERE id = ? AND status <> 'running'",
  );

  return {
    replayTask(taskId, now) {
      // Read and re-queued in the one writer's transaction: no other replay comes between.
      const was = taskStatus.get(taskId) ?? null;
      if (was !== null && was !== "running") {
        requeue.run(now, now, taskId);
        retakeKey.run(taskId);
      }
      return was;
    },
    replayDead(now) {
      const dead = deadTasks.all();
      requeueDead.run(now, now);
      for (const { id } of dead) retakeKey.run(id);
      return dead.map(({ id, agent }) => ({ id: String(id), agent }));
    },
    replayDelivery(deliveryId, tasks, now) {
      if (deliveryExists.get(deliveryId) === undefined) return null;
      return tasks.map((task) => {
        const existing = taskOfRule.get(deliveryId, task.rule);
        if (existing === undefined) return insertTask(deliveryId, task, task.runAt ?? now, now);
        if (existing.status === "running") {
          return { id: String(existing.id), rule: task.rule, agent: existing.agent, status: "running" };
        }
        requeueAs.run(task.agent, task.action, task.priority, priorityRank(task.priority), task.runAt ?? now, now, existing.id);
        retakeKey.run(existing.id);
        return { id: String(existing.id), rule: task.rule, agent: task.agent, status: "ready" };
      });
    },
  };
}
