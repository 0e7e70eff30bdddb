import type { KpiCounts, QueueStats } from "./store-stats.js";

/**
 * The statements behind metrics and KPIs, shared by both adapters: standard SQL with `$n`
 * parameters, each used once and in order, so SQLite can bind them as plain `?`. Sums are
 * cast to BIGINT because PostgreSQL sums BIGINTs into NUMERIC, which pg hands over as text.
 */

/** Deliveries received in [$1, $2): how many, how many unsigned, how many with an ack time. */
export const KPI_DELIVERIES_SQL = `SELECT COUNT(*) AS deliveries,
  CAST(COALESCE(SUM(CASE WHEN d.signature IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS unsigned_count,
  CAST(COALESCE(SUM(CASE WHEN d.ack_ms IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS acked
FROM deliveries d WHERE d.received_at >= $1 AND d.received_at < $2`;

/** The ack time at rank $3 (0-based) among those deliveries, shortest first. */
export const KPI_ACK_AT_RANK_SQL = `SELECT d.ack_ms FROM deliveries d
WHERE d.received_at >= $1 AND d.received_at < $2 AND d.ack_ms IS NOT NULL
ORDER BY d.ack_ms LIMIT 1 OFFSET $3`;

/** Routed deliveries received in [$1, $2) whose tasks have all finished, and those with no dead task. */
export const KPI_ROUTED_SQL = `SELECT COUNT(*) AS finished,
  CAST(COALESCE(SUM(CASE WHEN x.dead = 0 THEN 1 ELSE 0 END), 0) AS BIGINT) AS succeeded
FROM (SELECT t.delivery,
    SUM(CASE WHEN t.status = 'dead' THEN 1 ELSE 0 END) AS dead,
    SUM(CASE WHEN t.status = 'ready' OR t.status = 'running' THEN 1 ELSE 0 END) AS pending
  FROM tasks t JOIN deliveries d ON d.id = t.delivery
  WHERE d.received_at >= $1 AND d.received_at < $2
  GROUP BY t.delivery) x
WHERE x.pending = 0`;

const MET_TRANSIENT_FAILURE = `EXISTS (SELECT 1 FROM attempts a WHERE a.task = t.id AND (a.outcome = 'transient' OR a.outcome = 'lease-expired'))`;

// A task's retries: its attempts after the first, less the runs operators asked for (each
// replay's first attempt) and the attempts that were not the task's failure (a graceful
// shutdown cut them off, or their worker handed them back unrun). Never below zero: a task
// replayed before it first ran has a replay and no extra attempt.
const RERUNS = `(t.attempts - 1 - t.replays - (SELECT COUNT(*) FROM attempts s WHERE s.task = t.id AND (s.outcome = 'shutdown' OR s.outcome = 'handed-back')))`;

/** Finished tasks (succeeded or dead) of the deliveries received in [$1, $2): retries and transient failures. */
export const KPI_TASKS_SQL = `SELECT COUNT(*) AS finished,
  CAST(COALESCE(SUM(CASE WHEN ${RERUNS} > 0 THEN ${RERUNS} ELSE 0 END), 0) AS BIGINT) AS retries,
  CAST(COALESCE(SUM(CASE WHEN ${MET_TRANSIENT_FAILURE} THEN 1 ELSE 0 END), 0) AS BIGINT) AS retried,
  CAST(COALESCE(SUM(CASE WHEN t.status = 'succeeded' AND ${MET_TRANSIENT_FAILURE} THEN 1 ELSE 0 END), 0) AS BIGINT) AS retried_succeeded
FROM tasks t JOIN deliveries d ON d.id = t.delivery
WHERE d.received_at >= $1 AND d.received_at < $2 AND (t.status = 'succeeded' OR t.status = 'dead')`;

/** Refused requests by reason in the hourly buckets that start after $1 and before $2. */
export const KPI_REJECTIONS_SQL = `SELECT reason, CAST(SUM(count) AS BIGINT) AS total FROM rejection_counters
WHERE bucket_start_ms > $1 AND bucket_start_ms < $2 GROUP BY reason`;

/** Adds $3 to the counter of hour $1 and reason $2. */
export const ADD_REJECTIONS_SQL = `INSERT INTO rejection_counters (bucket_start_ms, reason, count) VALUES ($1, $2, $3)
ON CONFLICT (bucket_start_ms, reason) DO UPDATE SET count = rejection_counters.count + excluded.count`;

/** Tasks waiting, running and dead. */
export const QUEUE_DEPTH_SQL = `SELECT status, COUNT(*) AS count FROM tasks
WHERE status = 'ready' OR status = 'running' OR status = 'dead' GROUP BY status`;

/** The earliest run_at of a ready task due at $1. */
export const OLDEST_DUE_SQL = "SELECT MIN(run_at) AS oldest FROM tasks WHERE status = 'ready' AND run_at <= $1";

/** The rows the KPI statements answer, as both adapters return them (BIGINTs as numbers). */
export interface KpiDeliveriesRow {
  deliveries: number;
  unsigned_count: number;
  acked: number;
}
export interface KpiRoutedRow {
  finished: number;
  succeeded: number;
}
export interface KpiTasksRow {
  finished: number;
  retries: number;
  retried: number;
  retried_succeeded: number;
}
export interface KpiRejectionRow {
  reason: string;
  total: number;
}
export interface QueueDepthRow {
  status: "ready" | "running" | "dead";
  count: number;
}

/** An hour, in ms: the rejection counters' bucket. */
export const REJECTION_BUCKET_MS = 3_600_000;

/** 0-based rank of the 95th percentile among `n` sorted values (nearest-rank method): ceil(0.95 n) − 1. */
export function p95Rank(n: number): number {
  return Math.ceil(0.95 * n) - 1;
}

/** The parameters of KPI_REJECTIONS_SQL for a window: every hour that overlaps it. */
export function rejectionBounds(since: number, until: number): [number, number] {
  return [since - REJECTION_BUCKET_MS, until];
}

/** The parameters of KPI_DELIVERIES_SQL over the hours KPI_REJECTIONS_SQL counts: from the start of the hour `since` falls in. */
export function rejectionHours(since: number, until: number): [number, number] {
  return [Math.floor(since / REJECTION_BUCKET_MS) * REJECTION_BUCKET_MS, until];
}

/** The KPI rows (and the ack time at the p95 rank) → the counts the KPI maths take. */
export function toKpiCounts(
  deliveries: KpiDeliveriesRow,
  ackP95Ms: number | null,
  routed: KpiRoutedRow,
  tasks: KpiTasksRow,
  rejections: readonly KpiRejectionRow[],
  inRejectionHours: KpiDeliveriesRow,
): KpiCounts {
  return {
    deliveries: deliveries.deliveries,
    unsigned: deliveries.unsigned_count,
    acked: deliveries.acked,
    ackP95Ms,
    routedFinished: routed.finished,
    routedSucceeded: routed.succeeded,
    finishedTasks: tasks.finished,
    retries: tasks.retries,
    retriedTasks: tasks.retried,
    retriedSucceeded: tasks.retried_succeeded,
    rejections: Object.fromEntries(rejections.map((r) => [r.reason, r.total])),
    verifiedInRejectionHours: inRejectionHours.deliveries - inRejectionHours.unsigned_count,
  };
}

/** Queue rows → QueueStats. */
export function toQueueStats(rows: readonly QueueDepthRow[], oldestDueRunAt: number | null): QueueStats {
  const count = (status: QueueDepthRow["status"]) => rows.find((r) => r.status === status)?.count ?? 0;
  return { ready: count("ready"), running: count("running"), dead: count("dead"), oldestDueRunAt };
}
