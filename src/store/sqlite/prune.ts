import type { Database } from "better-sqlite3";
import type { PruneBatchOptions, PruneBodiesBatch, PruneBookkeepingOptions, PruneCursor, PruneRowsBatch } from "../prune-records.js";

export interface PruneOps {
  /** Each is one batch: run it inside the group-commit writer (a dry run only reads). */
  bodies(options: PruneBatchOptions): PruneBodiesBatch;
  rows(options: PruneBatchOptions): PruneRowsBatch;
  bookkeeping(options: PruneBookkeepingOptions): number;
  /** Gives free pages back to the file system when the file was made with auto_vacuum=INCREMENTAL; how many. */
  reclaimSpace(maxPages: number): number;
}

// The walk starts before every delivery: received_at and seq are never negative.
const START: PruneCursor = { receivedAt: -1, seq: -1 };

interface Candidate {
  seq: number;
  id: string;
  receivedAt: number;
  signature: string | null;
  bytes: number;
  kept: number;
}

/**
 * Retention on SQLite, one batch per call. A batch looks at `limit` deliveries in
 * (received_at, seq) order after the cursor, so the walk never looks at a kept delivery
 * twice, and each batch is one short transaction of the writer: webhooks committed between
 * two batches wait for one batch at most.
 */
export function preparePrune(db: Database): PruneOps {
  const withBody = db.prepare<[number, number, number, number, number, number], Candidate>(
    `SELECT d.seq, d.id, d.received_at AS receivedAt, d.signature, length(d.body) AS bytes,
       EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND (t.status = 'ready' OR t.status = 'running' OR t.status = 'dead'))
       OR (d.received_at < ? AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND (t.status = 'ready' OR t.status = 'running' OR t.updated_at >= ?))) AS kept
     FROM deliveries d INDEXED BY deliveries_body_kept
     WHERE d.body_pruned_at IS NULL AND d.received_at < ? AND (d.received_at, d.seq) > (?, ?)
     ORDER BY d.received_at, d.seq LIMIT ?`,
  );
  const emptyBody = db.prepare("UPDATE deliveries SET body = X'', body_pruned_at = ? WHERE seq = ?");

  const oldRows = db.prepare<[number, number, number, number, number], Candidate>(
    `SELECT d.seq, d.id, d.received_at AS receivedAt, d.signature, 0 AS bytes,
       EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND (t.status = 'ready' OR t.status = 'running' OR t.updated_at >= ?)) AS kept
     FROM deliveries d INDEXED BY deliveries_received_at
     WHERE d.received_at < ? AND (d.received_at, d.seq) > (?, ?)
     ORDER BY d.received_at, d.seq LIMIT ?`,
  );
  const countTasks = db.prepare<[string], number>("SELECT COUNT(*) FROM tasks WHERE delivery = ?").pluck();
  const countAttempts = db.prepare<[string], number>("SELECT COUNT(*) FROM attempts WHERE task IN (SELECT id FROM tasks WHERE delivery = ?)").pluck();
  const countActions = db.prepare<[string], number>("SELECT COUNT(*) FROM github_actions WHERE task IN (SELECT id FROM tasks WHERE delivery = ?)").pluck();
  const deleteAttempts = db.prepare("DELETE FROM attempts WHERE task IN (SELECT id FROM tasks WHERE delivery = ?)");
  const deleteActions = db.prepare("DELETE FROM github_actions WHERE task IN (SELECT id FROM tasks WHERE delivery = ?)");
  const deleteTasks = db.prepare("DELETE FROM tasks WHERE delivery = ?");
  const deleteSignature = db.prepare("DELETE FROM delivery_signatures WHERE signature = ? AND delivery = ?");
  const deleteDelivery = db.prepare("DELETE FROM deliveries WHERE seq = ?");

  const bookkeepingTables = [
    { count: db.prepare<[number], number>("SELECT COUNT(*) FROM rejection_counters WHERE bucket_start_ms < ?").pluck(),
      remove: db.prepare("DELETE FROM rejection_counters WHERE rowid IN (SELECT rowid FROM rejection_counters WHERE bucket_start_ms < ? LIMIT ?)") },
    { count: db.prepare<[number], number>("SELECT COUNT(*) FROM redeliveries WHERE asked_at < ?").pluck(),
      remove: db.prepare("DELETE FROM redeliveries WHERE rowid IN (SELECT rowid FROM redeliveries WHERE asked_at < ? LIMIT ?)") },
  ];

  const nextOf = (batch: Candidate[], limit: number): PruneCursor | null => {
    const last = batch.at(-1);
    return batch.length < limit || last === undefined ? null : { receivedAt: last.receivedAt, seq: last.seq };
  };

  return {
    bodies({ before, limit, after, dryRun, now, rowsBefore = -1 }) {
      const from = after ?? START;
      const batch = withBody.all(rowsBefore, rowsBefore, before, from.receivedAt, from.seq, limit);
      let bodies = 0;
      let bytes = 0;
      for (const d of batch) {
        if (d.kept) continue;
        if (!dryRun) emptyBody.run(now, d.seq);
        bodies += 1;
        bytes += d.bytes;
      }
      return { bodies, bytes, next: nextOf(batch, limit) };
    },

    rows({ before, limit, after, dryRun }) {
      const from = after ?? START;
      const batch = oldRows.all(before, before, from.receivedAt, from.seq, limit);
      const result: PruneRowsBatch = { deliveries: 0, tasks: 0, attempts: 0, githubActions: 0, next: nextOf(batch, limit) };
      for (const d of batch) {
        if (d.kept) continue;
        result.deliveries += 1;
        if (dryRun) {
          result.tasks += countTasks.get(d.id) ?? 0;
          result.attempts += countAttempts.get(d.id) ?? 0;
          result.githubActions += countActions.get(d.id) ?? 0;
          continue;
        }
        result.attempts += deleteAttempts.run(d.id).changes;
        result.githubActions += deleteActions.run(d.id).changes;
        result.tasks += deleteTasks.run(d.id).changes;
        if (d.signature !== null) deleteSignature.run(d.signature, d.id);
        deleteDelivery.run(d.seq);
      }
      return result;
    },

    bookkeeping({ before, limit, dryRun }) {
      let total = 0;
      for (const table of bookkeepingTables) {
        total += dryRun ? (table.count.get(before) ?? 0) : table.remove.run(before, Math.max(0, limit - total)).changes;
      }
      return total;
    },

    reclaimSpace(maxPages) {
      if (db.pragma("auto_vacuum", { simple: true }) !== 2) return 0;
      const before = db.pragma("freelist_count", { simple: true }) as number;
      db.pragma(`incremental_vacuum(${Math.max(1, Math.floor(maxPages))})`);
      return before - (db.pragma("freelist_count", { simple: true }) as number);
    },
  };
}
