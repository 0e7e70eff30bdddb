// Reads what the worker did from the store while `serve` still runs: the SQLite file
// read-only (WAL lets a reader in beside the writer), or the PostgreSQL database over one
// read-only session of its own. Both have the same schema; times are epoch milliseconds.
import { createRequire } from "node:module";
import pg from "pg";
import { percentile } from "./stats.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

const PENDING_SQL = "SELECT count(*) AS n FROM tasks WHERE status IN ('ready', 'running')";
const ROWS_SQL = (p) => `SELECT d.received_at AS received, d.ack_ms AS "ackMs", t.status AS status, a.started_at AS started, a.finished_at AS finished
  FROM deliveries d
  JOIN tasks t ON t.delivery = d.id
  LEFT JOIN attempts a ON a.task = t.id AND a.n = 1
  WHERE d.received_at >= ${p(1)} AND d.received_at <= ${p(2)}`;
const DELIVERIES_SQL = (p) => `SELECT count(*) AS n FROM deliveries WHERE received_at >= ${p(1)} AND received_at <= ${p(2)}`;

// BIGINT and count(*) come back from pg as strings: numbers here (all far below 2^53).
const INT8_OID = 20;
const pgTypes = { getTypeParser: (oid, format) => (oid === INT8_OID ? (v) => Number(v) : pg.types.getTypeParser(oid, format)) };

/**
 * A reader of the store a switchyard run writes to: `{ kind: "sqlite", file }` or
 * `{ kind: "postgres", url }`. All methods are async; close() when done.
 *
 * @example
 * const reader = await openStoreReader({ kind: "postgres", url });
 * const left = await reader.pending();
 * await reader.close();
 */
export async function openStoreReader(location) {
  if (location.kind === "sqlite") {
    const db = new Database(location.file, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    const pending = db.prepare(PENDING_SQL).pluck();
    const rows = db.prepare(ROWS_SQL(() => "?"));
    const deliveries = db.prepare(DELIVERIES_SQL(() => "?")).pluck();
    return {
      pending: async () => pending.get(),
      rows: async (from, to) => rows.all(from, to),
      deliveries: async (from, to) => deliveries.get(from, to),
      close: async () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: location.url, application_name: "switchyard-bench", types: pgTypes, options: "-c default_transaction_read_only=on" });
  await client.connect();
  const param = (i) => `$${i}`;
  return {
    pending: async () => (await client.query(PENDING_SQL)).rows[0].n,
    rows: async (from, to) => (await client.query(ROWS_SQL(param), [from, to])).rows,
    deliveries: async (from, to) => (await client.query(DELIVERIES_SQL(param), [from, to])).rows[0].n,
    close: () => client.end(),
  };
}

/**
 * Waits until no task is ready or running, polling every 100 ms, for at most `timeoutMs`.
 * Resolves with `{ drained, waitedMs, left }`.
 */
export async function waitForDrain(reader, timeoutMs) {
  const start = Date.now();
  for (;;) {
    const left = await reader.pending();
    if (left === 0) return { drained: true, waitedMs: Date.now() - start, left };
    if (Date.now() - start >= timeoutMs) return { drained: false, waitedMs: Date.now() - start, left };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What happened to the deliveries received during the measured window [from, to]:
 * how many were accepted, how their tasks ended, how fast the worker took them up.
 * "Ack → start" is the first attempt's started_at minus the delivery's received_at
 * (received_at is stamped after HMAC and JSON.parse, just before the write is queued; the
 * ack_ms column is received_at → the INSERT inside the transaction, so it leaves out the
 * COMMIT's fsync that the 202 also waits for).
 */
export async function readWorkerStats(reader, { from, to }) {
  const rows = await reader.rows(from, to);
  const deliveries = await reader.deliveries(from, to);
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
}
