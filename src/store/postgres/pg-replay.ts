import type pg from "pg";
import type { AcceptedTask, NewTask, ReplayedTask, TaskStatus } from "../store.js";
import { priorityRank } from "../rows.js";
import { NOTIFY_TASKS_DUE, insertTask } from "./pg-accept.js";
import { UNIQUE_VIOLATION, transaction, type Tx } from "./pg-pool.js";

/**
 * Replays, as on SQLite: the same task row back to ready, attempts counting on, the retry
 * policy from the replay on, `replays` + 1; a running task is left to its worker.
 */

/**
 * A replayed task takes its idempotency key back when no other task holds it. Another
 * instance may take the key at the same moment: the unique index refuses one of the two,
 * and a savepoint keeps that refusal from undoing the replay itself.
 */
async function retakeKey(tx: Tx, taskId: number): Promise<void> {
  await tx.query("SAVEPOINT retake_key");
  try {
    await tx.query(
      `UPDATE tasks SET holds_key = 1 WHERE id = $1 AND holds_key = 0 AND idempotency_key IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.idempotency_key = tasks.idempotency_key AND o.holds_key = 1)`,
      [taskId],
    );
    await tx.query("RELEASE SAVEPOINT retake_key");
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await tx.query("ROLLBACK TO SAVEPOINT retake_key");
  }
}

const REQUEUE = "UPDATE tasks SET status = 'ready', run_at = $1, updated_at = $1, retry_base = attempts, replays = replays + 1 WHERE id = $2 AND status <> 'running'";

/** The status the task had when this replay took it (its row locked, so two replays at once take turns); null when none. */
export async function replayTask(pool: pg.Pool, taskId: number, now: number): Promise<TaskStatus | null> {
  return transaction(pool, async (tx) => {
    const was = (await tx.query<{ status: TaskStatus }>("SELECT status FROM tasks WHERE id = $1 FOR UPDATE", [taskId])).rows[0]?.status ?? null;
    if (was !== null && (await tx.query(REQUEUE, [now, taskId])).rowCount === 1) {
      await retakeKey(tx, taskId);
      await tx.query(NOTIFY_TASKS_DUE);
    }
    return was;
  });
}

export async function replayDead(pool: pg.Pool, now: number): Promise<ReplayedTask[]> {
  return transaction(pool, async (tx) => {
    const rows = (await tx.query<{ id: number; agent: string }>(
      "UPDATE tasks SET status = 'ready', run_at = $1, updated_at = $1, retry_base = attempts, replays = replays + 1 WHERE status = 'dead' RETURNING id, agent",
      [now],
    )).rows.sort((a, b) => Number(a.id) - Number(b.id));
    for (const { id } of rows) await retakeKey(tx, Number(id));
    if (rows.length > 0) await tx.query(NOTIFY_TASKS_DUE);
    return rows.map(({ id, agent }) => ({ id: String(id), agent }));
  });
}

export async function replayDelivery(pool: pg.Pool, deliveryId: string, tasks: readonly NewTask[], now: number): Promise<AcceptedTask[] | null> {
  return transaction(pool, async (tx) => {
    // Locks the delivery: two replays of it at once take turns instead of both adding rows.
    if ((await tx.query("SELECT 1 FROM deliveries WHERE id = $1 FOR UPDATE", [deliveryId])).rowCount === 0) return null;
    const accepted: AcceptedTask[] = [];
    for (const task of tasks) {
      const existing = (await tx.query<{ id: number; status: string; agent: string }>(
        "SELECT id, status, agent FROM tasks WHERE delivery = $1 AND rule = $2 ORDER BY id LIMIT 1",
        [deliveryId, task.rule],
      )).rows[0];
      if (existing === undefined) {
        accepted.push(await insertTask(tx, deliveryId, task, task.runAt ?? now, now));
      } else if (existing.status === "running") {
        accepted.push({ id: String(existing.id), rule: task.rule, agent: existing.agent, status: "running" });
      } else {
        // A fresh routing decision may name another agent or priority for the rule: the row follows it.
        await tx.query(
          `UPDATE tasks SET agent = $1, action = $2, priority = $3, priority_rank = $4, status = 'ready', run_at = $5, updated_at = $6, retry_base = attempts, replays = replays + 1
           WHERE id = $7 AND status <> 'running'`,
          [task.agent, task.action, task.priority, priorityRank(task.priority), task.runAt ?? now, now, existing.id],
        );
        await retakeKey(tx, existing.id);
        accepted.push({ id: String(existing.id), rule: task.rule, agent: task.agent, status: "ready" });
      }
    }
    if (accepted.some((t) => t.status === "ready")) await tx.query(NOTIFY_TASKS_DUE);
    return accepted;
  });
}
