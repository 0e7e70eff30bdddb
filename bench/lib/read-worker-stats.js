// Reads what the worker did from the SQLite file, read-only, while `serve` still runs (WAL
// lets a reader in beside the writer). Times in the store are epoch milliseconds.
import { createRequire } from "node:module";
import { percentile } from "./stats.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

function openReadOnly(file) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  return db;
}

/**
 * Waits until no task is ready or running, polling every 100 ms, for at most `timeoutMs`.
 * Resolves with `{ drained, waitedMs, left }`.
 */
export async function waitForDrain(file, timeoutMs) {
  const db = openReadOnly(file);
  const pending = db.prepare("SELECT count(*) FROM tasks WHERE status IN ('ready', 'running')").pluck();
  const start = Date.now();
  try {
    for (;;) {
      const left = pending.get();
      if (left === 0) return { drained: true, waitedMs: Date.now() - start, left };
      if (Date.now() - start >= timeoutMs) return { drained: false, waitedMs: Date.now() - start, left };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    db.close();
  }
}

/**
 * What happened to the deliveries received during the measured window [from, to]:
 * how many were accepted, how their tasks ended, how fast the worker took them up.
 * "Ack → start" is the first attempt's started_at minus the delivery's received_at
 * (received_at is stamped after HMAC and JSON.parse, just before the write is queued; the
 * ack_ms column is received_at → the INSERT inside the batch, so it leaves out the COMMIT's
 * fsync that the 202 also waits for).
 */
export function readWorkerStats(file, { from, to }) {
  const db = openReadOnly(file);
  try {
    const rows = db
      .prepare(
        `SELECT d.received_at AS received, d.ack_ms AS ackMs, t.status AS status, a.started_at AS started, a.finished_at AS finished
         FROM deliveries d
         JOIN tasks t ON t.delivery = d.id
         LEFT JOIN attempts a ON a.task = t.id AND a.n = 1
         WHERE d.received_at >= ? AND d.received_at <= ?`,
      )
      .all(from, to);
    const deliveries = db.prepare("SELECT count(*) FROM deliveries WHERE received_at >= ? AND received_at <= ?").pluck().get(from, to);
    const byStatus = {};
    for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;

    const started = rows.filter((r) => r.started !== null);
    const ackToStart = started.map((r) => r.started - r.received).sort((a, b) => a - b);
    const ackMs = rows.map((r) => r.ackMs).filter((v) => v !== null).sort((a, b) => a - b);
    const finished = rows.filter((r) => r.finished !== null).map((r) => r.finished);
    const lastFinished = finished.length > 0 ? Math.max(...finished) : null;
    const windowSeconds = (to - from) / 1000;
    const finishedDuringLoad = finished.filter((f) => f <= to).length;

    return {
      deliveries,
      tasks: rows.length,
      tasksByStatus: byStatus,
      arrivalPerSec: deliveries / windowSeconds,
      // Tasks of this window that finished before the load stopped, per second of load.
      tasksPerSecDuringLoad: finishedDuringLoad / windowSeconds,
      tasksFinishedDuringLoad: finishedDuringLoad,
      // Last task of the window finished this long after the load stopped (0: kept up).
      drainMs: lastFinished === null ? null : Math.max(0, lastFinished - to),
      // The worker alone, once ingest stopped: the backlog over the drain time.
      tasksPerSecAfterLoad: lastFinished === null || lastFinished <= to ? null : (finished.length - finishedDuringLoad) / ((lastFinished - to) / 1000),
      ackToStartMs: { p50: percentile(ackToStart, 50), p99: percentile(ackToStart, 99), max: ackToStart.at(-1) ?? null },
      ackMsColumn: { p50: percentile(ackMs, 50), p99: percentile(ackMs, 99) },
    };
  } finally {
    db.close();
  }
}
