/**
 * What the store answers for metrics and KPIs: counts, never rows. Camel case and epoch
 * milliseconds like every store record; the KPI maths (`src/observability/compute-kpis.ts`)
 * and the metrics turn them into what operators read.
 */

/** The half-open window `[since, until)` of delivery receipt times a KPI report covers, epoch ms. */
export interface KpiWindow {
  since: number;
  until: number;
}

/** What the KPIs are computed from: the deliveries received in the window and the tasks routed from them. */
export interface KpiCounts {
  /** Deliveries stored (accepted) in the window. */
  deliveries: number;
  /** Of those, stored without a signature. Over HTTP every stored delivery has passed the signature check, so this should be 0. */
  unsigned: number;
  /** Deliveries with a recorded ack time (`ack_ms`)… */
  acked: number;
  /** …and the 95th percentile of those times (nearest rank), ms; null when none. */
  ackP95Ms: number | null;
  /** Deliveries routed to at least one task whose tasks have all finished (none ready or running)… */
  routedFinished: number;
  /** …and of those, the ones whose tasks all succeeded or were skipped (none dead). */
  routedSucceeded: number;
  /** Tasks of those deliveries that finished: succeeded or dead. */
  finishedTasks: number;
  /** Re-runs among the finished tasks: every attempt after a task's first, except those a graceful shutdown cut off. */
  retries: number;
  /** Finished tasks that met a transient failure (an attempt closed `transient` or `lease-expired`)… */
  retriedTasks: number;
  /** …and of those, the ones that ended succeeded. */
  retriedSucceeded: number;
  /**
   * Refused webhook requests by reason (`bad_signature`, `rate_limited`…), from the hourly
   * counters: every hour that overlaps the window counts whole.
   */
  rejections: Record<string, number>;
  /**
   * Deliveries stored with a signature over the same hours as `rejections` (from the start
   * of the hour `since` falls in): what the refused ones are compared with, so that a short
   * window does not set a whole hour's refusals against a few minutes' deliveries.
   */
  verifiedInRejectionHours: number;
}

/** Where the queue stands now, for the scrape-time gauges. */
export interface QueueStats {
  ready: number;
  running: number;
  dead: number;
  /** The earliest run_at of a ready task that is due, epoch ms; null when none is waiting. */
  oldestDueRunAt: number | null;
}

/** One row of the hourly rejection counters: add `count` to (bucketStartMs, reason). */
export interface RejectionCount {
  bucketStartMs: number;
  reason: string;
  count: number;
}
