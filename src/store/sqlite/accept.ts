import { priorityRank } from "../rows.js";
import type { Database } from "better-sqlite3";
import type { LeaseTask } from "./claim.js";
import type { AcceptOptions, AcceptResult, AcceptedTask, ClaimedTask, NewDelivery, NewTask, TaskStatus } from "../store.js";

/** An accept with its values computed before the transaction, to keep the batch short. */
export interface AcceptInput {
  delivery: NewDelivery;
  headers: string;
  tasks: readonly NewTask[];
  /** Signatures received after this instant are still remembered. */
  windowStart: number;
  /** When the batch runs: ack_ms is measured to it (the route corrects it when the commit ends much later). */
  now: number;
  handOff?: AcceptOptions["handOff"];
}

/** Inserts one task for a delivery; shared by accept and replayDelivery. */
export type InsertTask = (delivery: string, task: NewTask, runAt: number, now: number) => AcceptedTask;

/**
 * Prepares the task insert. A task whose idempotency key is held by an earlier task that is
 * ready, running or succeeded is stored as `skipped` with the reason, never dropped: every
 * routable delivery keeps its task, and the reason says which task ran instead.
 */
export function prepareInsertTask(db: Database): InsertTask {
  // The partial unique index tasks_key_holder allows one holder per key: the insert that
  // finds the key taken changes no row, and the task is stored again as skipped.
  const insertHolder = db.prepare(
    `INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, holds_key, status, attempts, run_at, last_error, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'ready', 0, ?, NULL, ?, ?) ON CONFLICT (idempotency_key) WHERE holds_key = 1 DO NOTHING`,
  );
  const insert = db.prepare(
    `INSERT INTO tasks (delivery, rule, agent, action, priority, priority_rank, idempotency_key, holds_key, status, attempts, run_at, last_error, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, ?, ?, ?)`,
  );
  const keyHolder = db.prepare<[string], number>("SELECT id FROM tasks WHERE idempotency_key = ? AND holds_key = 1").pluck();
  return (delivery, task, runAt, now) => {
    const rank = priorityRank(task.priority);
    const accepted = (id: number | bigint, status: TaskStatus): AcceptedTask => ({ id: String(id), rule: task.rule, agent: task.agent, status });
    if (task.idempotencyKey === null) {
      return accepted(insert.run(delivery, task.rule, task.agent, task.action, task.priority, rank, null, "ready", runAt, null, now, now).lastInsertRowid, "ready");
    }
    const held = insertHolder.run(delivery, task.rule, task.agent, task.action, task.priority, rank, task.idempotencyKey, runAt, now, now);
    if (held.changes === 1) return accepted(held.lastInsertRowid, "ready");
    const reason = `skipped: task ${keyHolder.get(task.idempotencyKey) ?? "(gone)"} already holds idempotency key ${task.idempotencyKey}`;
    return accepted(insert.run(delivery, task.rule, task.agent, task.action, task.priority, rank, task.idempotencyKey, "skipped", runAt, reason, now, now).lastInsertRowid, "skipped");
  };
}

/**
 * Prepares the accept operation (run inside the group-commit writer). The hot path of every
 * webhook: one insert that doubles as the id check, one upsert that claims the signature,
 * one insert per task. Both checks are constraints, not lookups, so they hold however many
 * writers there are.
 */
export function prepareAccept(db: Database, insertTask: InsertTask, leaseTask: LeaseTask): (input: AcceptInput) => AcceptResult {
  // The row count, not a prior SELECT, decides: two requests with the same id can sit in
  // the same batch, and only the first insert changes a row.
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, signature, event, action, repository, installation, number, headers, body, received_at, ack_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  // Takes the signature unless another delivery holds it inside the replay window.
  const claimSignature = db.prepare(
    `INSERT INTO delivery_signatures (signature, delivery, received_at) VALUES (?, ?, ?)
     ON CONFLICT (signature) DO UPDATE SET delivery = excluded.delivery, received_at = excluded.received_at
     WHERE delivery_signatures.received_at <= ?`,
  );
  // No savepoint per op in the group commit: a delivery refused by its signature is taken back by hand.
  const dropDelivery = db.prepare("DELETE FROM deliveries WHERE id = ?");
  const signatureHolder = db.prepare<[string], string>("SELECT delivery FROM delivery_signatures WHERE signature = ?").pluck();
  // Bodies, not signatures: a redelivery after the secret was rotated is signed anew. A pruned body cannot tell.
  const sameBodyAs = db.prepare<[Buffer, string], number>("SELECT length(body) = 0 OR body = ? FROM deliveries WHERE id = ?").pluck();
  // A hand-off: the lease and the first attempt a claim would write, in the accept's transaction.
  const handOver = (d: NewDelivery, task: NewTask, stored: AcceptedTask, granted: { owner: string; leaseMs: number; now: number }): ClaimedTask => {
    const leaseUntil = granted.now + granted.leaseMs;
    const token = leaseTask(stored.id, granted.owner, leaseUntil, granted.now, 1);
    return {
      id: stored.id,
      delivery: d.id,
      rule: task.rule,
      agent: task.agent,
      action: task.action,
      priority: task.priority,
      idempotencyKey: task.idempotencyKey,
      status: "running",
      attempts: 1,
      runAt: task.runAt ?? d.receivedAt,
      lastError: null,
      createdAt: d.receivedAt,
      updatedAt: granted.now,
      leaseToken: token,
      leaseUntil,
      retryBase: 0,
      replays: 0,
      event: d.event,
      body: d.body,
      repository: d.repository,
      installation: d.installation,
    };
  };
  return ({ delivery: d, headers, tasks, windowStart, now, handOff }) => {
    const ackMs = now - d.receivedAt;
    // The id first: GitHub's redelivery (same id, same body) is a duplicate by id, which is what it is.
    const info = insertDelivery.run(d.id, d.signature, d.event, d.action, d.repository, d.installation, d.number ?? null, headers, d.body, d.receivedAt, ackMs);
    if (info.changes === 0) return { duplicate: true, delivery: d.id, by: "id", sameBody: sameBodyAs.get(d.body, d.id) === 1 };
    if (d.signature !== null && claimSignature.run(d.signature, d.id, d.receivedAt, windowStart).changes === 0) {
      dropDelivery.run(d.id);
      return { duplicate: true, delivery: d.id, by: "signature", of: signatureHolder.get(d.signature) ?? null };
    }
    const accepted: AcceptedTask[] = [];
    for (const task of tasks) {
      const stored = insertTask(d.id, task, task.runAt ?? d.receivedAt, d.receivedAt);
      // Only a task due now: one that waits for its run_at is the claim's.
      const granted = handOff !== undefined && stored.status === "ready" && (task.runAt ?? d.receivedAt) <= now ? handOff() : null;
      // Its status stays the one it was created with (ready), as metrics count created tasks.
      accepted.push(granted === null ? stored : { ...stored, claimed: handOver(d, task, stored, granted) });
    }
    return { duplicate: false, delivery: d.id, tasks: accepted, ackMs };
  };
}

/**
 * Prepares `Store.correctAckMs`: a delivery's ack time raised, never lowered, so a late or
 * repeated correction cannot undo a larger figure.
 */
export function prepareCorrectAckMs(db: Database): (delivery: string, ackMs: number) => void {
  const raise = db.prepare("UPDATE deliveries SET ack_ms = ? WHERE id = ? AND ack_ms < ?");
  return (delivery, ackMs) => void raise.run(ackMs, delivery, ackMs);
}
