import type pg from "pg";
import type { KpiCounts, KpiWindow, QueueStats, RejectionCount } from "../store-stats.js";
import {
  ADD_REJECTIONS_SQL,
  KPI_ACK_AT_RANK_SQL,
  KPI_DELIVERIES_SQL,
  KPI_REJECTIONS_SQL,
  KPI_ROUTED_SQL,
  KPI_TASKS_SQL,
  OLDEST_DUE_SQL,
  QUEUE_DEPTH_SQL,
  p95Rank,
  rejectionBounds,
  rejectionHours,
  toKpiCounts,
  toQueueStats,
  type KpiDeliveriesRow,
  type KpiRejectionRow,
  type KpiRoutedRow,
  type KpiTasksRow,
  type QueueDepthRow,
} from "../stats-sql.js";
import { transaction } from "./pg-pool.js";

/**
 * What the KPIs are computed from, in one read-only snapshot (REPEATABLE READ), so every
 * count sees the same deliveries and tasks however many instances write meanwhile.
 */
export async function readKpiCounts(pool: pg.Pool, { since, until }: KpiWindow): Promise<KpiCounts> {
  return transaction(pool, async (tx) => {
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const deliveries = (await tx.query<KpiDeliveriesRow>(KPI_DELIVERIES_SQL, [since, until])).rows[0]!;
    const p95 =
      deliveries.acked === 0 ? null : ((await tx.query<{ ack_ms: number }>(KPI_ACK_AT_RANK_SQL, [since, until, p95Rank(deliveries.acked)])).rows[0]?.ack_ms ?? null);
    const routed = (await tx.query<KpiRoutedRow>(KPI_ROUTED_SQL, [since, until])).rows[0]!;
    const tasks = (await tx.query<KpiTasksRow>(KPI_TASKS_SQL, [since, until])).rows[0]!;
    const rejections = (await tx.query<KpiRejectionRow>(KPI_REJECTIONS_SQL, rejectionBounds(since, until))).rows;
    const inRejectionHours = (await tx.query<KpiDeliveriesRow>(KPI_DELIVERIES_SQL, rejectionHours(since, until))).rows[0]!;
    return toKpiCounts(deliveries, p95, routed, tasks, rejections, inRejectionHours);
  });
}

/** The queue gauges: shared by every instance, so each exports the same values. */
export async function readQueueStats(pool: pg.Pool, now: number): Promise<QueueStats> {
  const depth = (await pool.query<QueueDepthRow>({ name: "sy_queue_depth", text: QUEUE_DEPTH_SQL })).rows;
  const oldest = (await pool.query<{ oldest: number | null }>({ name: "sy_oldest_due", text: OLDEST_DUE_SQL, values: [now] })).rows[0]?.oldest ?? null;
  return toQueueStats(depth, oldest);
}

/** Adds counted rejections to the hourly counters, in one transaction: instances add to the same rows. */
export async function addRejections(pool: pg.Pool, rows: readonly RejectionCount[]): Promise<void> {
  await transaction(pool, async (tx) => {
    for (const row of rows) {
      await tx.query({ name: "sy_add_rejections", text: ADD_REJECTIONS_SQL, values: [row.bucketStartMs, row.reason, row.count] });
    }
  });
}
