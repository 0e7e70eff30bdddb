import type { PruneCursor } from "../prune-records.js";
import type { Store } from "../store.js";

/** What one prune did (or, dry, would do). */
export interface PruneSummary {
  dryRun: boolean;
  /** Deliveries received before these instants were old enough. */
  bodiesBefore: number;
  rowsBefore: number;
  /** Bodies emptied, and their size in bytes. */
  bodies: number;
  bytes: number;
  /** Rows deleted. */
  deliveries: number;
  tasks: number;
  attempts: number;
  githubActions: number;
  /** Refusal counters and redelivery asks deleted. */
  bookkeeping: number;
  /** SQLite pages given back to the file system (incremental vacuum). */
  reclaimedPages: number;
  /** The longest one batch took, ms: how long a webhook commit could have waited on the prune. */
  longestBatchMs: number;
  tookMs: number;
}

export interface PruneOptions {
  now: number;
  /** store.retention, ms. */
  retention: { bodies: number; rows: number };
  /** security.replayWindowHours in ms: nothing younger is ever pruned, whatever the retention says. */
  replayWindowMs: number;
  dryRun: boolean;
  /** Deliveries per batch to start with; it adapts to keep each batch short. */
  batchSize?: number;
  /** True once the process is shutting down: the prune stops between batches. */
  stopping?: () => boolean;
}

/** A batch should hold the writer about this long at most. */
const TARGET_BATCH_MS = 15;
const MIN_BATCH = 10;
const MAX_BATCH = 2000;
/** Pages given back by the first incremental-vacuum step (4 KiB each); later steps adapt as the batches do. */
const VACUUM_PAGES = 256;
/** Not below: each step is a commit of its own, whose fsync alone may take the 15 ms. */
const MIN_VACUUM_PAGES = 128;
const MAX_VACUUM_PAGES = 4096;

/** Lets the event loop serve requests between two batches. */
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Applies the retention policy: empties the bodies of deliveries older than
 * `retention.bodies` (keeping those a ready, running or dead task needs), then deletes the
 * deliveries older than `retention.rows` with their tasks, attempts and GitHub writes
 * (keeping those with a task ready, running or changed since), then the old bookkeeping
 * rows, then (SQLite, incremental auto-vacuum) gives the freed pages back. It walks the old
 * deliveries in small batches, each one short transaction, yielding to the event loop
 * between them, and sizes the batches by how long the last one took, so a webhook never
 * waits on more than one short batch.
 *
 * @example
 * const summary = await pruneStore(store, { now: Date.now(), retention: config.store.retention, replayWindowMs: 72 * 3_600_000, dryRun: false });
 */
export async function pruneStore(store: Store, options: PruneOptions): Promise<PruneSummary> {
  const { pruneBodies, pruneRows, pruneBookkeeping } = store;
  if (!pruneBodies || !pruneRows || !pruneBookkeeping) throw new Error(`the ${store.kind} store has no retention: it lives for one run`);
  const started = Date.now();
  const { now, dryRun } = options;
  const bodiesBefore = now - Math.max(options.retention.bodies, options.replayWindowMs);
  const rowsBefore = now - Math.max(options.retention.rows, options.replayWindowMs);
  const summary: PruneSummary = {
    dryRun, bodiesBefore, rowsBefore, bodies: 0, bytes: 0, deliveries: 0, tasks: 0, attempts: 0, githubActions: 0, bookkeeping: 0, reclaimedPages: 0, longestBatchMs: 0, tookMs: 0,
  };
  // Small first: a first batch on a big store took ~300 ms at 200 (a webhook waits for it).
  let limit = options.batchSize ?? 50;
  const timed = async <T>(batch: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await batch();
    const ms = performance.now() - t0;
    summary.longestBatchMs = Math.max(summary.longestBatchMs, ms);
    if (ms > TARGET_BATCH_MS) limit = Math.max(MIN_BATCH, Math.floor(limit / 2));
    else if (ms < TARGET_BATCH_MS / 3) limit = Math.min(MAX_BATCH, limit * 2);
    await yieldToRequests();
    return result;
  };
  const stopping = () => options.stopping?.() === true;

  // Rows first: a delivery whose row goes needs no body pruned first.
  let after: PruneCursor | null = null;
  do {
    const batch = await timed(() => pruneRows.call(store, { before: rowsBefore, limit, after, dryRun, now }));
    summary.deliveries += batch.deliveries;
    summary.tasks += batch.tasks;
    summary.attempts += batch.attempts;
    summary.githubActions += batch.githubActions;
    after = batch.next;
  } while (after !== null && !stopping());

  after = null;
  do {
    const batch = await timed(() => pruneBodies.call(store, { before: bodiesBefore, limit, after, dryRun, now, rowsBefore }));
    summary.bodies += batch.bodies;
    summary.bytes += batch.bytes;
    after = batch.next;
  } while (after !== null && !stopping());

  for (;;) {
    const size = limit;
    const removed = await timed(() => pruneBookkeeping.call(store, { before: rowsBefore, limit: size, dryRun }));
    summary.bookkeeping += removed;
    if (dryRun || removed < size || stopping()) break;
  }

  if (!dryRun && store.reclaimSpace) {
    // Sized by its own time, as the batches are: a step of 1,024 pages took 55–94 ms.
    let pages = VACUUM_PAGES;
    for (;;) {
      const size = pages;
      const t0 = performance.now();
      const given = await timed(() => store.reclaimSpace!(size));
      const ms = performance.now() - t0;
      summary.reclaimedPages += given;
      if (given < size || stopping()) break;
      if (ms > TARGET_BATCH_MS) pages = Math.max(MIN_VACUUM_PAGES, Math.floor(pages / 2));
      else if (ms < TARGET_BATCH_MS / 3) pages = Math.min(MAX_VACUUM_PAGES, pages * 2);
    }
  }
  summary.tookMs = Date.now() - started;
  return summary;
}
