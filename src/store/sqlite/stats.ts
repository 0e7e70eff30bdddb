import type { Database } from "better-sqlite3";
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

/** The shared statements' `$n` parameters as SQLite's `?` (each is used once, in order). */
const positional = (sql: string): string => sql.replace(/\$\d+/g, "?");

export interface StatsOps {
  /** Reads: they run directly on the connection and see what has committed. */
  readKpiCounts(window: KpiWindow): KpiCounts;
  readQueueStats(now: number): QueueStats;
  /** A write: run it inside the group-commit writer. */
  addRejections(rows: readonly RejectionCount[]): void;
}

/**
 * Prepares the statements behind metrics and KPIs. The KPI reads run on one connection
 * outside any transaction; a delivery committed between two of them can make one count
 * differ by one from another, which a report over hours does not notice.
 */
export function prepareStats(db: Database): StatsOps {
  const deliveries = db.prepare<[number, number], KpiDeliveriesRow>(positional(KPI_DELIVERIES_SQL));
  const ackAtRank = db.prepare<[number, number, number], number>(positional(KPI_ACK_AT_RANK_SQL)).pluck();
  const routed = db.prepare<[number, number], KpiRoutedRow>(positional(KPI_ROUTED_SQL));
  const tasks = db.prepare<[number, number], KpiTasksRow>(positional(KPI_TASKS_SQL));
  const rejections = db.prepare<[number, number], KpiRejectionRow>(positional(KPI_REJECTIONS_SQL));
  const addRejection = db.prepare<[number, string, number]>(positional(ADD_REJECTIONS_SQL));
  const queueDepth = db.prepare<[], QueueDepthRow>(QUEUE_DEPTH_SQL);
  const oldestDue = db.prepare<[number], number | null>(positional(OLDEST_DUE_SQL)).pluck();

  return {
    readKpiCounts({ since, until }) {
      const counted = deliveries.get(since, until) as KpiDeliveriesRow;
      const p95 = counted.acked === 0 ? null : (ackAtRank.get(since, until, p95Rank(counted.acked)) ?? null);
      const rejected = rejections.all(...rejectionBounds(since, until));
      return toKpiCounts(counted, p95, routed.get(since, until) as KpiRoutedRow, tasks.get(since, until) as KpiTasksRow, rejected, deliveries.get(...rejectionHours(since, until)) as KpiDeliveriesRow);
    },
    readQueueStats(now) {
      return toQueueStats(queueDepth.all(), oldestDue.get(now) ?? null);
    },
    addRejections(rows) {
      for (const row of rows) addRejection.run(row.bucketStartMs, row.reason, row.count);
    },
  };
}
