import { PRIORITIES, type Priority } from "../config/priorities.js";
import type { AttemptProcessRecord, AttemptRecord, ClaimedTask, DeliveryFilterColumn, DeliveryRecord, DeliveryStatus, DeliverySummary, GithubActionRecord, ReclaimedTask, TaskDetail, TaskOutcome, TaskRecord, TaskStatus } from "./store.js";
import type { SqlDialect } from "./migrations/index.js";

/** Columns of `tasks` as both adapters return them (BIGINTs as numbers). */
export interface TaskRow {
  id: number;
  delivery: string;
  rule: string;
  agent: string;
  action: string;
  priority: Priority;
  idempotency_key: string | null;
  status: TaskStatus;
  attempts: number;
  run_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** The task columns records show (the lease columns stay inside the store). */
export const TASK_COLUMNS =
  "t.id, t.delivery, t.rule, t.agent, t.action, t.priority, t.idempotency_key, t.status, t.attempts, t.run_at, t.last_error, t.created_at, t.updated_at";

export interface AttemptRow {
  task: number;
  n: number;
  started_at: number;
  finished_at: number | null;
  outcome: string | null;
  error: string | null;
  retry_delay_ms: number | null;
  output: string | null;
  agent: string | null;
}

export interface DeliveryRow {
  id: string;
  signature: string | null;
  event: string;
  action: string | null;
  repository: string | null;
  installation: number | null;
  headers: string;
  body: Buffer;
  received_at: number;
  ack_ms: number | null;
  body_pruned_at: number | null;
  status: DeliveryStatus;
}

/**
 * A delivery's status from its tasks. A dead task makes the delivery
 * `failed` even while a sibling still runs: it is final until replayed, and `--status failed`
 * is how an operator finds what needs a replay.
 *
 * One aggregate over the delivery's own tasks, whose only constraint is the delivery: the
 * planner can only look them up by it. Asked as `EXISTS (… AND s.status = 'dead')`, SQLite
 * (which keeps no statistics) walked the status index instead, every dead task in the store
 * for each delivery listed: `deliveries --status pending` took minutes with 5,000 dead tasks.
 */
export const DELIVERY_STATUS_SQL = `CASE (SELECT MAX(CASE WHEN s.status = 'dead' THEN 3 WHEN s.status = 'ready' OR s.status = 'running' THEN 2 ELSE 1 END) FROM tasks s WHERE s.delivery = d.id)
  WHEN 3 THEN 'failed' WHEN 2 THEN 'pending' WHEN 1 THEN 'succeeded' ELSE 'unrouted' END`;

/**
 * The repositories that used up `worker.perRepository`: $2 or more task starts (attempts
 * opened) after $1. Counted from the attempts, so every process claiming from the database
 * sees the same budget. Standard SQL, shared by both adapters.
 */
export const REPOSITORIES_OVER_BUDGET_SQL = `SELECT lower(d.repository) AS repository FROM attempts a
  JOIN tasks t ON t.id = a.task JOIN deliveries d ON d.id = t.delivery
  WHERE a.started_at > $1 AND d.repository IS NOT NULL
  GROUP BY lower(d.repository) HAVING COUNT(*) >= $2`;

export function toTaskRecord(row: TaskRow): TaskRecord {
  return {
    id: String(row.id),
    delivery: row.delivery,
    rule: row.rule,
    agent: row.agent,
    action: row.action,
    priority: row.priority,
    idempotencyKey: row.idempotency_key,
    status: row.status,
    attempts: row.attempts,
    runAt: row.run_at,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toAttemptRecord(row: AttemptRow): AttemptRecord {
  return {
    task: String(row.task),
    n: row.n,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    error: row.error,
    retryDelayMs: row.retry_delay_ms,
    output: row.output,
    agent: row.agent,
  };
}

/** An attempt's recorded process (migration 4), as both adapters read it. */
export interface AttemptProcessRow {
  n: number;
  outcome: string | null;
  host: string;
  pgid: number;
  process_start: string | null;
}

export function toAttemptProcessRecord(row: AttemptProcessRow): AttemptProcessRecord {
  return { n: row.n, outcome: row.outcome, host: row.host, pgid: row.pgid, start: row.process_start };
}

/** A task reclaimExpired moved, as `RETURNING id, delivery` gives it. */
export interface ReclaimedRow {
  id: number;
  delivery: string;
}

/** RETURNING's rows, in id order: neither SQLite nor PostgreSQL promises an UPDATE's order. */
export function reclaimedTasks(rows: readonly ReclaimedRow[]): ReclaimedTask[] {
  return [...rows].sort((a, b) => a.id - b.id).map((row) => ({ id: String(row.id), delivery: row.delivery }));
}

/** The columns a delivery list reads, with the status derived from its tasks. */
export const DELIVERY_SUMMARY_COLUMNS = `d.id, d.event, d.action, d.repository, d.received_at, d.ack_ms, ${DELIVERY_STATUS_SQL} AS status`;
/** The columns a whole delivery reads. */
export const DELIVERY_COLUMNS = `d.id, d.signature, d.event, d.action, d.repository, d.installation, d.headers, d.body, d.received_at, d.ack_ms, d.body_pruned_at, ${DELIVERY_STATUS_SQL} AS status`;
/** Newest first; seq orders deliveries received in the same millisecond. */
export const NEWEST_DELIVERY_FIRST = "ORDER BY received_at DESC, seq DESC";

/**
 * A condition a delivery of `status` always meets, found from the tasks' status index: a
 * `failed` delivery has a dead task, a `pending` one a ready or running task. With it a list
 * filtered by those statuses starts from the few deliveries that can match, instead of
 * working out the status of every delivery stored (the whole store, when none matches).
 * The status itself is still checked on each candidate (a pending delivery may also have a
 * dead task, and is failed). Null for the other statuses, which most deliveries have.
 */
export function deliveryStatusCandidatesSql(status: DeliveryStatus | undefined): string | null {
  if (status === "failed") return "d.id IN (SELECT c.delivery FROM tasks c WHERE c.status = 'dead')";
  if (status === "pending") return "d.id IN (SELECT c.delivery FROM tasks c WHERE c.status = 'ready' OR c.status = 'running')";
  return null;
}

/**
 * The `before` cursor of a delivery list as SQL, `param` the cursor delivery's id: the rows
 * after it in NEWEST_DELIVERY_FIRST order. No row when no delivery has that id (the
 * comparison with an empty subquery is NULL).
 *
 * @example
 * `SELECT … FROM deliveries d WHERE ${listedAfterSql("?")} ${NEWEST_DELIVERY_FIRST}`
 */
export function listedAfterSql(param: string): string {
  return `(d.received_at, d.seq) < (SELECT c.received_at, c.seq FROM deliveries c WHERE c.id = ${param})`;
}

/**
 * One delivery-list filter (`deliveryFilters`) as SQL, `param` its placeholder. The
 * repository is compared without letter case, as GitHub names are, spelled as the
 * `deliveries_subject` index spells it (migration 9) so that the index serves it.
 */
export function deliveryFilterSql(column: DeliveryFilterColumn, param: string, dialect: SqlDialect): string {
  return column === "repository" ? `${dialect.caseless("d.repository")} = ${dialect.caseless(param)}` : `d.${column} = ${param}`;
}

export type DeliverySummaryRow = Pick<DeliveryRow, "id" | "event" | "action" | "repository" | "received_at" | "ack_ms" | "status">;
export type TaskSummaryRow = Pick<TaskRow, "id" | "agent" | "status" | "attempts">;

export function toDeliverySummary(row: DeliverySummaryRow, tasks: readonly TaskSummaryRow[]): DeliverySummary {
  return {
    id: row.id,
    event: row.event,
    action: row.action,
    repository: row.repository,
    receivedAt: row.received_at,
    ackMs: row.ack_ms,
    status: row.status,
    tasks: tasks.map((t) => ({ id: String(t.id), agent: t.agent, status: t.status, attempts: t.attempts })),
  };
}

export function toDeliveryRecord(row: DeliveryRow, tasks: TaskDetail[]): DeliveryRecord {
  return {
    ...toDeliverySummary(row, []),
    signature: row.signature,
    installation: row.installation,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    bodyPrunedAt: row.body_pruned_at ?? null,
    ackMs: row.ack_ms,
    tasks,
  };
}

/**
 * A task id as the store's callers hold it (a string) → the integer key, or null when it
 * cannot name a task (so lookups answer "no such task" instead of binding garbage).
 */
export function parseTaskId(id: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(id)) return null;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : null;
}

/** A caller's limit → SQLite's LIMIT (-1 = no limit; there is no upper cap). */
export function sqlLimit(limit: number): number {
  if (!Number.isFinite(limit)) return -1;
  return Math.max(0, Math.floor(limit));
}

/** A priority's place in claim order: 0 critical, 1 high, 2 medium, 3 low. */
export function priorityRank(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

/** A task row joined with what a worker needs of its delivery, as both adapters' claims read it. */
export interface ClaimRow extends TaskRow {
  retry_base: number;
  replays: number;
  event: string;
  body: Buffer;
  repository: string | null;
  installation: number | null;
}

/** A claimed row → the task handed to a worker, fenced by `leaseToken`. */
export function toClaimedTask(row: ClaimRow, leaseToken: string, leaseUntil: number): ClaimedTask {
  return {
    ...toTaskRecord(row),
    leaseToken,
    leaseUntil,
    retryBase: row.retry_base,
    replays: row.replays,
    event: row.event,
    body: row.body,
    repository: row.repository,
    installation: row.installation,
  };
}

/** `github_actions` as both adapters return it: SQLite stores the BOOLEAN as 0/1. */
export interface GithubActionRow {
  id: number;
  agent: string;
  task: number | null;
  method: string;
  route: string;
  body: string | null;
  dry_run: number | boolean;
  at: number;
}

export function toGithubActionRecord(row: GithubActionRow): GithubActionRecord & { id: string } {
  return {
    id: String(row.id),
    agent: row.agent,
    task: row.task === null ? null : String(row.task),
    method: row.method,
    route: row.route,
    body: row.body === null ? undefined : (JSON.parse(row.body) as unknown),
    dryRun: row.dry_run === true || row.dry_run === 1,
    at: row.at,
  };
}

/**
 * What a closed attempt's error gains when its run's outcome arrived after the lease was
 * taken back (Store.recordLateOutcome).
 *
 * @example lateOutcomeNote({ status: "succeeded" }, 0) // "yet its run did end, succeeded, at 1970-01-01T00:00:00.000Z, after its lease was taken back: that outcome is not the task's"
 */
export function lateOutcomeNote(outcome: TaskOutcome, now: number): string {
  const how = outcome.status === "succeeded" ? "succeeded" : `${outcome.outcome === "transient" ? "failed (transient)" : outcome.outcome === "permanent" ? "failed" : outcome.outcome}: ${outcome.error}`;
  return `yet its run did end, ${how}, at ${new Date(now).toISOString()}, after its lease was taken back: that outcome is not the task's`;
}

/** An outcome's GitHub writes with their bodies as the JSON text the SQL stores keep. */
export function serializedActions(outcome: TaskOutcome): { action: GithubActionRecord; body: string | null }[] {
  return (outcome.actions ?? []).map((action) => ({ action, body: action.body === undefined ? null : JSON.stringify(action.body) }));
}
