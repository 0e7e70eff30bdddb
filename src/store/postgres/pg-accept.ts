import type { AcceptResult, AcceptedTask, NewDelivery, NewTask, TaskStatus } from "../store.js";
import { priorityRank } from "../rows.js";
import type { Tx } from "./pg-pool.js";

/** The channel idle workers LISTEN on; a NOTIFY inside a transaction is delivered at COMMIT. */
export const TASKS_DUE_CHANNEL = "switchyard_tasks_due";
export const NOTIFY_TASKS_DUE = `SELECT pg_notify('${TASKS_DUE_CHANNEL}', '')`;

const INSERT_HOLDER = `INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, holds_key, status, attempts, run_at, last_error, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'ready', 0, $8, NULL, $9, $9)
  ON CONFLICT (idempotency_key) WHERE holds_key = 1 DO NOTHING RETURNING id`;
const INSERT_TASK = `INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, holds_key, status, attempts, run_at, last_error, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, 0, $9, $10, $11, $11) RETURNING id`;

/**
 * Inserts one task inside the caller's transaction. The partial unique index on the key
 * holder decides between racing instances: the insert that finds the key held (waiting
 * for the holder's transaction to end, if it has not yet) inserts nothing, and the task is
 * stored as skipped, naming the holder.
 */
export async function insertTask(tx: Tx, delivery: string, task: NewTask, runAt: number, now: number): Promise<AcceptedTask> {
  const rank = priorityRank(task.priority);
  const accepted = (id: number, status: TaskStatus): AcceptedTask => ({ id: String(id), rule: task.rule, agent: task.agent, status });
  if (task.idempotencyKey !== null) {
    const held = await tx.query<{ id: number }>({ name: "sy_insert_holder", text: INSERT_HOLDER, values: [delivery, task.rule, task.agent, task.action, task.priority, rank, task.idempotencyKey, runAt, now] });
    if (held.rows[0] !== undefined) return accepted(held.rows[0].id, "ready");
    const holder = await tx.query<{ id: number }>("SELECT id FROM tasks WHERE idempotency_key = $1 AND holds_key = 1", [task.idempotencyKey]);
    const reason = `skipped: task ${holder.rows[0]?.id ?? "(gone)"} already holds idempotency key ${task.idempotencyKey}`;
    const skipped = await tx.query<{ id: number }>({ name: "sy_insert_task", text: INSERT_TASK, values: [delivery, task.rule, task.agent, task.action, task.priority, rank, task.idempotencyKey, "skipped", runAt, reason, now] });
    return accepted(skipped.rows[0]!.id, "skipped");
  }
  const inserted = await tx.query<{ id: number }>({ name: "sy_insert_task", text: INSERT_TASK, values: [delivery, task.rule, task.agent, task.action, task.priority, rank, null, "ready", runAt, null, now] });
  return accepted(inserted.rows[0]!.id, "ready");
}

/** Thrown inside the transaction to roll back a delivery refused by its signature. */
class SignatureHeld extends Error {}

/**
 * One accept, one transaction: the delivery row (its id UNIQUE), the signature claimed in
 * `delivery_signatures` unless another delivery holds it within the window, the tasks, and
 * a NOTIFY when any is ready. Two instances racing on an id or a signature: the second
 * waits for the first's commit, then finds the row taken, so exactly one is accepted.
 */
export async function acceptDelivery(
  begin: <T>(body: (tx: Tx) => Promise<T>) => Promise<T>,
  d: NewDelivery,
  headers: string,
  tasks: readonly NewTask[],
  windowStart: number,
  now: () => number,
): Promise<AcceptResult> {
  try {
    return await begin(async (tx) => {
      // Read as the transaction starts: a lock wait, the statements and the commit come after,
      // and the webhook route corrects the figure once the commit completed (correctAckMs).
      const ackMs = now() - d.receivedAt;
      const inserted = await tx.query({
        name: "sy_insert_delivery",
        text: `INSERT INTO deliveries (id, signature, event, action, repository, installation, number, headers, body, received_at, ack_ms)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
        values: [d.id, d.signature, d.event, d.action, d.repository, d.installation, d.number ?? null, headers, d.body, d.receivedAt, ackMs],
      });
      if (inserted.rowCount === 0) {
        // Bodies, not signatures: a redelivery after the secret was rotated is signed anew. A pruned body cannot tell.
        const stored = await tx.query<{ same: boolean }>({ name: "sy_same_body", text: "SELECT length(body) = 0 OR body = $2 AS same FROM deliveries WHERE id = $1", values: [d.id, d.body] });
        return { duplicate: true, delivery: d.id, by: "id", sameBody: stored.rows[0]?.same !== false } as const;
      }
      if (d.signature !== null) {
        const claimed = await tx.query({
          name: "sy_claim_signature",
          text: `INSERT INTO delivery_signatures (signature, delivery, received_at) VALUES ($1, $2, $3)
                 ON CONFLICT (signature) DO UPDATE SET delivery = EXCLUDED.delivery, received_at = EXCLUDED.received_at
                 WHERE delivery_signatures.received_at <= $4`,
          values: [d.signature, d.id, d.receivedAt, windowStart],
        });
        if (claimed.rowCount === 0) throw new SignatureHeld();
      }
      const accepted: AcceptedTask[] = [];
      for (const task of tasks) accepted.push(await insertTask(tx, d.id, task, task.runAt ?? d.receivedAt, d.receivedAt));
      if (accepted.some((t) => t.status === "ready")) await tx.query(NOTIFY_TASKS_DUE);
      return { duplicate: false, delivery: d.id, tasks: accepted, ackMs } as const;
    });
  } catch (error) {
    if (error instanceof SignatureHeld) {
      // Read after the rolled-back transaction: the holder, for the answer and the log.
      const holder = await begin((tx) => tx.query<{ delivery: string }>("SELECT delivery FROM delivery_signatures WHERE signature = $1", [d.signature]));
      return { duplicate: true, delivery: d.id, by: "signature", of: holder.rows[0]?.delivery ?? null };
    }
    throw error;
  }
}
