import { priorityRank } from "./rows.js";
import type { Database } from "better-sqlite3";
import type { AcceptResult, AcceptedTask, NewDelivery, NewTask, TaskStatus } from "../store.js";

/** An accept with its values computed before the transaction, to keep the batch short. */
export interface AcceptInput {
  delivery: NewDelivery;
  headers: string;
  tasks: readonly NewTask[];
  /** Signatures received after this instant are still remembered. */
  windowStart: number;
}

/** Inserts one task for a delivery; shared by accept and replayDelivery. */
export type InsertTask = (delivery: string, task: NewTask, runAt: number, now: number) => AcceptedTask;

/**
 * Prepares the task insert. A task whose idempotency key is held by an earlier task that is
 * ready, running or succeeded is stored as `skipped` with the reason, never dropped: every
 * routable delivery keeps its task, and the reason says which task ran instead.
 */
export function prepareInsertTask(db: Database): InsertTask {
  const keyHolder = db
    .prepare<[string], number>(
      "SELECT id FROM tasks WHERE idempotency_key = ? AND (status = 'ready' OR status = 'running' OR status = 'succeeded') ORDER BY id LIMIT 1",
    )
    .pluck();
  const insert = db.prepare(
    `INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, status, attempts, run_at, last_error, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
  );
  return (delivery, task, runAt, now) => {
    let status: TaskStatus = "ready";
    let reason: string | null = null;
    if (task.idempotencyKey !== null) {
      const holder = keyHolder.get(task.idempotencyKey);
      if (holder !== undefined) {
        status = "skipped";
        reason = `skipped: task ${holder} already holds idempotency key ${task.idempotencyKey}`;
      }
    }
    const info = insert.run(delivery, task.rule, task.agent, task.action, task.priority, priorityRank(task.priority), task.idempotencyKey, status, runAt, reason, now, now);
    return { id: String(info.lastInsertRowid), rule: task.rule, agent: task.agent, status };
  };
}

/**
 * Prepares the accept operation (run inside the group-commit writer). The hot path of every
 * webhook: one index probe for the signature, one insert that doubles as the id check, one
 * insert per task.
 */
export function prepareAccept(db: Database, insertTask: InsertTask): (input: AcceptInput) => AcceptResult {
  // Excludes the delivery's own id so that GitHub's redelivery (same id, same body) is
  // reported as a duplicate by id, which is what it is.
  const signatureSeen = db
    .prepare<[string, number, string], number>("SELECT 1 FROM deliveries WHERE signature = ? AND received_at > ? AND id <> ? LIMIT 1")
    .pluck();
  // The row count, not a prior SELECT, decides: two requests with the same id can sit in
  // the same batch, and only the first insert changes a row.
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, signature, event, action, repository, installation, number, headers, body, received_at, ack_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  return ({ delivery: d, headers, tasks, windowStart }) => {
    if (d.signature !== null && signatureSeen.get(d.signature, windowStart, d.id) !== undefined) {
      return { duplicate: true, delivery: d.id, by: "signature" };
    }
    const ackMs = Date.now() - d.receivedAt;
    const info = insertDelivery.run(d.id, d.signature, d.event, d.action, d.repository, d.installation, d.number ?? null, headers, d.body, d.receivedAt, ackMs);
    if (info.changes === 0) return { duplicate: true, delivery: d.id, by: "id" };
    const accepted: AcceptedTask[] = [];
    for (const task of tasks) accepted.push(insertTask(d.id, task, task.runAt ?? d.receivedAt, d.receivedAt));
    return { duplicate: false, delivery: d.id, tasks: accepted };
  };
}
