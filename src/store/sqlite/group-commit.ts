import type { Database } from "better-sqlite3";
import { toError } from "../../errors.js";

/** Counters of a writer, for metrics and for tests that check batching. */
export interface GroupCommitStats {
  /** Transactions committed. */
  batches: number;
  /** Operations run in committed transactions (including ones that failed on their own). */
  ops: number;
  /** Committed batches that had to be re-run with one SAVEPOINT per op because an op failed. */
  isolatedBatches: number;
  /** Transactions that failed as a whole (BEGIN or COMMIT failed, or SQLite aborted them). */
  failedBatches: number;
}

/** Queues synchronous SQLite writes and commits them together. */
export interface GroupCommitWriter {
  /**
   * Queues `op` for the next batch. `op` is synchronous (better-sqlite3 statements) and
   * touches nothing but the database: it may be run a second time, in a fresh transaction,
   * when another op of its batch fails. Resolves with its result once the batch has
   * committed; rejects with what it threw, or with the batch's error when the transaction
   * as a whole failed.
   */
  run<T>(op: () => T, options?: { defer?: boolean }): Promise<T>;
  /** Commits what is queued now; later writes are refused. */
  close(): void;
  readonly stats: Readonly<GroupCommitStats>;
}

/** The longest a deferred write waits for a batch to join. */
export const DEFER_MS = 5;
/** How long one attempt to take the write lock may block the event loop (the connection's busy_timeout). */
export const LOCK_SLICE_MS = 20;
/** Between attempts to take a write lock another process holds. */
export const LOCK_RETRY_MS = 50;
/** A write still waiting for the lock this long after it was queued is refused (the webhook answers 503). */
export const LOCK_DEADLINE_MS = 5_000;

export interface GroupCommitOptions {
  /** LOCK_DEADLINE_MS unless given. */
  lockDeadlineMs?: number;
  now?: () => number;
  /** Called after each committed transaction, before its ops settle. */
  onCommit?: () => void;
  /**
   * Called before each batch (when it throws, nothing is written) and after each COMMIT,
   * before anything settles (when it throws, the batch's ops are rejected with its error):
   * the file written to is no longer the database, see file-identity.ts.
   */
  verify?: () => void;
}

interface Pending {
  urgent: boolean;
  queuedAt: number;
  op: () => unknown;
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

interface Settled {
  batch: Pending[];
  results: unknown[];
  errors: (Error | undefined)[];
}

/** The write lock is held by another connection (a backup, a `sqlite3` session). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT";
}

/**
 * The one writer of a SQLite database. With `synchronous=FULL` every COMMIT is an fsync,
 * and an fsync per webhook caps throughput far below what the HTTP layer can take
 * (docs/performance.md).
 * So writes are queued and the queue is committed in one transaction as soon as the event
 * loop has drained pending I/O: `setImmediate` runs after the poll phase, so every request
 * whose bytes arrived in this turn is in the batch, and an idle server commits at once
 * instead of waiting on a timer.
 *
 * An op that throws undoes only its own writes and rejects only its own promise, as if
 * each op ran in its own SAVEPOINT. Savepoints are not free: SQLite copies every page an op
 * first touches into the statement journal, which measured as 2-3× the cost of an accept.
 * So a batch first runs without them; only when an op throws is it rolled back and run
 * again with one SAVEPOINT per op. Promises settle after COMMIT returns: that is the point
 * a caller may acknowledge on.
 *
 * A write lock held by another process is waited for without blocking the event loop:
 * each attempt blocks at most LOCK_SLICE_MS, the next comes LOCK_RETRY_MS later, and an op
 * still waiting `lockDeadlineMs` after it was queued is refused, so a webhook answers 503
 * in time for GitHub's 10 s instead of after several blocked waits.
 *
 * @example
 * const writer = createGroupCommitWriter(db);
 * const id = await writer.run(() => insert.run(...).lastInsertRowid);
 */
export function createGroupCommitWriter(db: Database, options: GroupCommitOptions = {}): GroupCommitWriter {
  const now = options.now ?? Date.now;
  const lockDeadlineMs = options.lockDeadlineMs ?? LOCK_DEADLINE_MS;
  // Transaction control prepared once: this path runs for every webhook.
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  const savepoint = db.prepare("SAVEPOINT op");
  const release = db.prepare("RELEASE op");
  const rollbackTo = db.prepare("ROLLBACK TO op");

  const stats: GroupCommitStats = { batches: 0, ops: 0, isolatedBatches: 0, failedBatches: 0 };
  let queue: Pending[] = [];
  let scheduled: NodeJS.Immediate | null = null;
  let deferred: NodeJS.Timeout | null = null;
  let lockRetry: NodeJS.Timeout | null = null;
  let lastUrgent = -Infinity;
  let closed = false;
  // Set on the first batch, after migrations (which may wait the connection's full busy_timeout).
  let sliced = false;

  /**
   * Runs the batch in one transaction and commits it. Without `isolate`, the first op that
   * throws rolls the transaction back and null is returned, for a second, isolated run.
   */
  function runBatch(batch: Pending[], isolate: boolean): Settled | null {
    const results: unknown[] = new Array(batch.length);
    const errors: (Error | undefined)[] = new Array(batch.length);
    begin.run();
    for (let i = 0; i < batch.length; i++) {
      if (isolate) savepoint.run();
      try {
        results[i] = (batch[i] as Pending).op();
        if (isolate) release.run();
      } catch (thrown) {
        // Some errors (SQLITE_FULL, I/O errors) make SQLite roll back the whole
        // transaction: then the batch as a whole has failed.
        if (!db.inTransaction) throw thrown;
        if (!isolate) {
          rollback.run();
          return null;
        }
        errors[i] = toError(thrown);
        rollbackTo.run();
        release.run();
      }
    }
    commit.run();
    return { batch, results, errors };
  }

  function settle({ batch, results, errors }: Settled): void {
    for (let i = 0; i < batch.length; i++) {
      const pending = batch[i] as Pending;
      const error = errors[i];
      if (error === undefined) pending.resolve(results[i] as never);
      else pending.reject(error);
    }
  }

  function failAll(batch: readonly Pending[], error: Error): void {
    for (const pending of batch) pending.reject(error);
  }

  /** The lock is held elsewhere: refuse what waited too long, try the rest again shortly. */
  function waitForLock(batch: Pending[], error: unknown): void {
    const cutoff = now() - lockDeadlineMs;
    const expired = batch.filter((p) => p.queuedAt <= cutoff);
    if (expired.length > 0) {
      stats.failedBatches++;
      // The cause keeps SQLITE_BUSY, by which the admin API tells an unavailable store from a bug.
      failAll(expired, new Error(`the SQLite database is locked by another process (a backup, a sqlite3 session?) and was not free within ${lockDeadlineMs} ms: ${toError(error).message}`, { cause: error }));
    }
    queue = batch.filter((p) => p.queuedAt > cutoff).concat(queue);
    if (queue.length > 0) lockRetry ??= setTimeout(flush, LOCK_RETRY_MS);
  }

  /** `options.verify`, or the batch failed with what it threw. */
  function verified(batch: readonly Pending[]): boolean {
    try {
      options.verify?.();
      return true;
    } catch (thrown) {
      stats.failedBatches++;
      failAll(batch, toError(thrown));
      return false;
    }
  }

  function flush(): void {
    scheduled = null;
    if (deferred !== null) {
      clearTimeout(deferred);
      deferred = null;
    }
    if (lockRetry !== null) {
      clearTimeout(lockRetry);
      lockRetry = null;
    }
    const batch = queue;
    if (batch.length === 0) return;
    queue = [];
    if (!sliced) {
      sliced = true;
      db.pragma(`busy_timeout = ${LOCK_SLICE_MS}`);
    }
    // A file that is no longer the database takes no more writes: its rows would come back
    // if it were put back (a refused delivery stored after all, a task claimed for nothing).
    if (!verified(batch)) return;
    let settled: Settled;
    try {
      const fast = runBatch(batch, false);
      if (fast === null) stats.isolatedBatches++;
      settled = fast ?? (runBatch(batch, true) as Settled);
    } catch (thrown) {
      if (db.inTransaction) {
        try {
          rollback.run();
        } catch {
          // The transaction is already gone; the ops are rejected below either way.
        }
      }
      if (isBusy(thrown) && !closed) return waitForLock(batch, thrown);
      stats.failedBatches++;
      failAll(batch, toError(thrown));
      return;
    }
    // Committed, but to a file that is no longer the database: not to be acknowledged.
    if (!verified(batch)) return;
    stats.batches++;
    stats.ops += batch.length;
    options.onCommit?.();
    // Traffic is measured from the end of its commit too: an fsync can outlast DEFER_MS.
    if (batch.some((p) => p.urgent)) lastUrgent = performance.now();
    settle(settled);
  }

  return {
    run<T>(op: () => T, options?: { defer?: boolean }): Promise<T> {
      if (closed) return Promise.reject(new Error("the store is closed: no more writes are accepted"));
      return new Promise<T>((resolve, reject) => {
        queue.push({ urgent: !options?.defer, queuedAt: now(), op, resolve: resolve as (value: never) => void, reject });
        const at = performance.now();
        if (!options?.defer) lastUrgent = at;
        // Waiting for another process's lock: the retry takes this op along.
        if (scheduled !== null || lockRetry !== null) return;
        // A deferred write (the worker's bookkeeping) rides along with the next batch a
        // webhook commits, or goes alone after DEFER_MS: under load that halves the fsyncs,
        // since claims and completions stop costing commits of their own. Without webhook
        // traffic there is nothing to ride along with, so it commits at once (a worker
        // draining a backlog must not wait DEFER_MS per step).
        if (options?.defer && at - lastUrgent < DEFER_MS) deferred ??= setTimeout(flush, DEFER_MS);
        else scheduled = setImmediate(flush);
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (scheduled !== null) clearImmediate(scheduled);
      flush();
    },
    stats,
  };
}
