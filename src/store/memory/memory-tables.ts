import type { Priority } from "../../config/schema.js";
import { priorityRank } from "../rows.js";
import type { AcceptedTask, AttemptRecord, DeliveryStatus, DeliverySummary, NewDelivery, NewTask, TaskDetail, TaskRecord, TaskStatus } from "../store.js";

/**
 * The in-memory store's tables: plain maps holding what the SQL adapters hold in rows, with
 * the same invariants kept by hand — one holder per idempotency key (the partial unique
 * index), one delivery per signature within the replay window, a lease token per running
 * task. Records handed out are fresh objects, never the stored ones, so a caller cannot
 * change the store by editing what it read.
 */

export interface DeliveryState {
  /** Insertion order: breaks ties between deliveries received in the same millisecond. */
  seq: number;
  delivery: NewDelivery;
  headers: Record<string, string>;
  body: Buffer;
  ackMs: number;
}

export interface TaskState {
  id: number;
  delivery: string;
  rule: string;
  agent: string;
  action: string;
  priority: Priority;
  rank: number;
  idempotencyKey: string | null;
  /** True while this task holds its idempotency key (ready, running or succeeded). */
  holdsKey: boolean;
  status: TaskStatus;
  attempts: number;
  /** Attempts not counted by the retry policy: those before the last replay or cut off by a shutdown. */
  retryBase: number;
  /** Operator replays that re-queued the task. */
  replays: number;
  runAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  leaseOwner: string | null;
  leaseToken: string | null;
  leaseUntil: number | null;
  attemptLog: AttemptRecord[];
}

export interface MemoryTables {
  deliveries: Map<string, DeliveryState>;
  /** Signature → the delivery holding it and when it was received. */
  signatures: Map<string, { delivery: string; receivedAt: number }>;
  tasks: Map<number, TaskState>;
  /** Idempotency key → the id of the task holding it. */
  keyHolders: Map<string, number>;
  nextTaskId: number;
  nextDeliverySeq: number;
}

export function createTables(): MemoryTables {
  return { deliveries: new Map(), signatures: new Map(), tasks: new Map(), keyHolders: new Map(), nextTaskId: 1, nextDeliverySeq: 1 };
}

/**
 * Inserts a task. A task whose idempotency key another task holds is stored as `skipped`,
 * naming the holder, never dropped (as the SQL adapters do).
 */
export function insertTask(tables: MemoryTables, delivery: string, task: NewTask, runAt: number, now: number): AcceptedTask {
  const id = tables.nextTaskId++;
  const key = task.idempotencyKey;
  const holder = key === null ? undefined : tables.keyHolders.get(key);
  const skipped = key !== null && holder !== undefined;
  tables.tasks.set(id, {
    id,
    delivery,
    rule: task.rule,
    agent: task.agent,
    action: task.action,
    priority: task.priority,
    rank: priorityRank(task.priority),
    idempotencyKey: key,
    holdsKey: key !== null && !skipped,
    status: skipped ? "skipped" : "ready",
    attempts: 0,
    retryBase: 0,
    replays: 0,
    runAt,
    lastError: skipped ? `skipped: task ${holder} already holds idempotency key ${key}` : null,
    createdAt: now,
    updatedAt: now,
    leaseOwner: null,
    leaseToken: null,
    leaseUntil: null,
    attemptLog: [],
  });
  if (key !== null && !skipped) tables.keyHolders.set(key, id);
  return { id: String(id), rule: task.rule, agent: task.agent, status: skipped ? "skipped" : "ready" };
}

/** A task going dead lets go of its idempotency key: a later task with the key may run. */
export function releaseKey(tables: MemoryTables, task: TaskState): void {
  if (!task.holdsKey || task.idempotencyKey === null) return;
  task.holdsKey = false;
  if (tables.keyHolders.get(task.idempotencyKey) === task.id) tables.keyHolders.delete(task.idempotencyKey);
}

/** A replayed task takes its key back when no other task holds it. */
export function retakeKey(tables: MemoryTables, task: TaskState): void {
  if (task.holdsKey || task.idempotencyKey === null || tables.keyHolders.has(task.idempotencyKey)) return;
  task.holdsKey = true;
  tables.keyHolders.set(task.idempotencyKey, task.id);
}

/** The tasks of a delivery, oldest first. */
export function tasksOf(tables: MemoryTables, delivery: string): TaskState[] {
  return [...tables.tasks.values()].filter((t) => t.delivery === delivery).sort((a, b) => a.id - b.id);
}

/** A delivery's status, derived from its tasks: a dead task makes it failed even while a sibling runs. */
export function deliveryStatus(tasks: readonly TaskState[]): DeliveryStatus {
  if (tasks.length === 0) return "unrouted";
  if (tasks.some((t) => t.status === "dead")) return "failed";
  if (tasks.some((t) => t.status === "ready" || t.status === "running")) return "pending";
  return "succeeded";
}

export function toTaskRecord(task: TaskState): TaskRecord {
  return {
    id: String(task.id),
    delivery: task.delivery,
    rule: task.rule,
    agent: task.agent,
    action: task.action,
    priority: task.priority,
    idempotencyKey: task.idempotencyKey,
    status: task.status,
    attempts: task.attempts,
    runAt: task.runAt,
    lastError: task.lastError,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export function toTaskDetail(task: TaskState): TaskDetail {
  return { ...toTaskRecord(task), attemptLog: task.attemptLog.map((a) => ({ ...a })) };
}

export function toDeliverySummary(state: DeliveryState, tasks: readonly TaskState[]): DeliverySummary {
  const d = state.delivery;
  return {
    id: d.id,
    event: d.event,
    action: d.action,
    repository: d.repository,
    receivedAt: d.receivedAt,
    ackMs: state.ackMs,
    status: deliveryStatus(tasks),
    tasks: tasks.map((t) => ({ id: String(t.id), agent: t.agent, status: t.status, attempts: t.attempts })),
  };
}

/** A caller's limit → how many to keep (no upper cap; Infinity keeps all). */
export function takeLimit(limit: number): number {
  if (!Number.isFinite(limit)) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor(limit));
}
