import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ThreadRead } from "./reads.js";
import type { ReadAnswer, ReadRequest } from "./thread-reads.js";

/** How often, at most, the background thread checkpoints while commits keep coming. */
export const CHECKPOINT_INTERVAL_MS = 100;
/**
 * The serving connection's own automatic checkpoint, in WAL pages (SQLite's default is
 * 1,000): a backstop for when the thread falls behind, or never sees a moment with no
 * commit in flight, which the WAL needs to start over from its beginning.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 16_000;
/** What the WAL file is cut back to when it starts over (bytes). */
export const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Why a read sent as the store closes is not answered on the thread (the serving connection answers it, if still open). */
export const STORE_CLOSING = "the store is closing";

/** The longest startCheckpointer blocks for its thread to start, when the caller asked to be told. */
export const THREAD_START_WAIT_MS = 2_000;

export interface CheckpointerOptions {
  /** Told, once per distinct error, what went wrong on the thread. */
  onError?: (message: string) => void;
  /**
   * Called before startCheckpointer returns, once the thread runs JavaScript (its V8
   * isolate configured). startCheckpointer blocks the event loop until then (tens of ms,
   * once): that is what lets the heap tuning set its flags again before this thread
   * allocates anything (reassertHeapTuning in src/cli/tune-heap.ts).
   */
  onStarted?: () => void;
  /**
   * Let the thread answer reads as well (`read`): the path of thread-reads.js, imported on
   * the thread at the first read. Default: none (every read is refused as unavailable).
   */
  readsEntry?: string;
}

/** What a read sent to the thread came to: its value, or not answered there (the thread stopped, or takes no reads). */
export type ThreadReadOutcome = { answered: true; value: unknown } | { answered: false; why: string };

/** Copies committed WAL pages into the database file on a thread of its own. */
export interface Checkpointer {
  /** A transaction committed: a checkpoint is due within CHECKPOINT_INTERVAL_MS. Cheap: call after every commit. */
  committed(): void;
  /**
   * Runs one of the store's reads (reads.ts) on the thread, on a read-only connection of its
   * own. Rejects with the read's own error; `answered: false` when the thread cannot answer,
   * for the caller to read elsewhere.
   */
  read(read: ThreadRead, args: unknown[]): Promise<ThreadReadOutcome>;
  /** Stops the thread (its connection closed) before the serving connection closes. */
  close(): Promise<void>;
  /** Checkpoints the thread ran, and the last one's result, for tests and reports. */
  readonly stats: Readonly<CheckpointStats>;
}

export interface CheckpointStats {
  checkpoints: number;
  /** Pages in the WAL and pages copied by the last checkpoint. */
  lastLogPages: number;
  lastCopiedPages: number;
  /** The last error the thread reported (it keeps going), or null. */
  lastError: string | null;
}

// Plain CommonJS run with `eval`, so that it works the same from dist/ and from the sources
// under test. A PASSIVE checkpoint takes no lock a writer needs: the serving connection
// keeps committing while pages are copied. It runs at most once per interval, only after a
// commit was announced, so an idle server does no work here. Reads (objects with an id)
// import thread-reads.js on the first one and answer on a read-only connection of their own.
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
if (workerData.started !== null) {
  Atomics.store(workerData.started, 0, 1);
  Atomics.notify(workerData.started, 0);
}
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
// A checkpoint copies frames through a buffer of its own: this connection needs no page cache.
db.pragma("cache_size = -64");
let due = false;
let timer = null;
let reads = null;
let closing = false;
function checkpoint() {
  timer = null;
  if (!due) return;
  due = false;
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
  timer = setTimeout(checkpoint, workerData.intervalMs);
}
function read(request) {
  if (workerData.readsEntry === null) return parentPort.postMessage({ id: request.id, unavailable: "this thread takes no reads" });
  if (closing) return parentPort.postMessage({ id: request.id, unavailable: workerData.closingNote });
  if (reads === null) {
    const opening = import(workerData.readsEntry).then((module) => module.openThreadReads(workerData.file));
    reads = opening;
    // A failed start is tried again at the next read, not kept for good.
    opening.catch(() => { if (reads === opening) reads = null; });
  }
  reads.then(
    (side) => parentPort.postMessage(side.answer(request)),
    (error) => parentPort.postMessage({ id: request.id, unavailable: String(error && error.message || error) }),
  );
}
parentPort.on("message", (message) => {
  if (message === "close") {
    closing = true;
    if (timer !== null) clearTimeout(timer);
    db.close();
    // After the reads sent before "close": their answers were queued first.
    const closed = reads === null ? Promise.resolve() : reads.then((side) => side.close(), () => {});
    closed.then(() => parentPort.close());
    return;
  }
  if (typeof message === "object") return read(message);
  due = true;
  if (timer === null) timer = setTimeout(checkpoint, workerData.intervalMs);
});
`;

/**
 * Moves WAL checkpoints off the serving thread. better-sqlite3 is synchronous, so a
 * checkpoint run by the serving connection (SQLite does one after a commit once the WAL
 * holds 1,000 pages) blocks every request for as long as it copies pages and fsyncs the
 * database file. Here a second connection, on a worker thread, runs a PASSIVE checkpoint at
 * most every CHECKPOINT_INTERVAL_MS while commits come in; the serving connection keeps an
 * automatic checkpoint only as a backstop (BACKSTOP_CHECKPOINT_PAGES). Durability is
 * unchanged: a commit is durable once in the fsynced WAL; checkpoints only move pages.
 *
 * @example
 * const checkpointer = startCheckpointer(db, file, { onError: (m) => logger.warn(m) });
 * commit.run(); checkpointer.committed();
 */
export function startCheckpointer(db: { pragma(source: string): unknown }, file: string, options: CheckpointerOptions = {}): Checkpointer {
  const { onError, onStarted } = options;
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  // The thread sets this flag first thing; Atomics.wait blocks until then (bounded).
  const started = onStarted === undefined ? null : new Int32Array(new SharedArrayBuffer(4));
  const readsEntry = options.readsEntry === undefined ? null : pathToFileURL(options.readsEntry).href;
  // A checkpoint allocates next to nothing in JavaScript: a small young generation. The old
  // generation's limit is a cap, not a reservation: a read carries a delivery's body, up to
  // GitHub's 25 MiB (and whatever larger server.bodyLimit was set), twice over as it is copied out.
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { driver, file, intervalMs: CHECKPOINT_INTERVAL_MS, started, readsEntry, closingNote: STORE_CLOSING },
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: readsEntry === null ? 16 : 512 },
  });
  if (started !== null) {
    Atomics.wait(started, 0, 0, THREAD_START_WAIT_MS);
    onStarted?.();
  }
  // The thread must never keep the process alive, nor take it down.
  worker.unref();
  const stats: CheckpointStats = { checkpoints: 0, lastLogPages: 0, lastCopiedPages: 0, lastError: null };
  let failed = false;
  let closing = false;
  /** Why the thread stopped, when it failed (not a checkpoint's passing error). */
  let stopError: string | null = null;
  const pending = new Map<number, { resolve: (outcome: ThreadReadOutcome) => void; reject: (error: Error) => void }>();
  let nextRead = 1;
  const settle = (answer: ReadAnswer | { id: number; unavailable: string }) => {
    const waiting = pending.get(answer.id);
    if (waiting === undefined) return;
    pending.delete(answer.id);
    if ("unavailable" in answer) waiting.resolve({ answered: false, why: answer.unavailable });
    else if ("error" in answer) waiting.reject(Object.assign(new Error(answer.error.message), answer.error.code === undefined ? {} : { code: answer.error.code }));
    else waiting.resolve({ answered: true, value: answer.value });
  };
  worker.on("message", (message: { log?: number; checkpointed?: number; error?: string } | ReadAnswer | { id: number; unavailable: string }) => {
    if ("id" in message) return settle(message);
    if (message.error !== undefined) {
      // Said once per distinct error, not at every interval it repeats.
      if (message.error !== stats.lastError) onError?.(`background WAL checkpoint failed (it is tried again; the serving connection's backstop still checkpoints): ${message.error}`);
      stats.lastError = message.error;
      return;
    }
    stats.checkpoints++;
    stats.lastLogPages = message.log ?? 0;
    stats.lastCopiedPages = message.checkpointed ?? 0;
  });
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      failed = true;
      // A read the thread took with it is answered elsewhere, never lost.
      for (const id of [...pending.keys()]) settle({ id, unavailable: closing ? STORE_CLOSING : (stopError ?? "the thread stopped") });
      resolve();
    }),
  );
  worker.on("error", (error) => {
    stopError = error.message;
    // Without the thread the backstop checkpoints on the serving connection: slower, never unsafe.
    failed = true;
    stats.lastError = error.message;
    db.pragma("wal_autocheckpoint = 1000");
    onError?.(`the WAL checkpoint thread stopped (${error.message}): checkpoints run on the serving connection again`);
  });
  let announced = false;
  return {
    committed() {
      // One message per interval is enough: the thread checkpoints everything committed by then.
      if (failed || announced) return;
      announced = true;
      worker.postMessage("commit");
      setTimeout(() => (announced = false), CHECKPOINT_INTERVAL_MS).unref();
    },
    read(read, args) {
      if (closing) return Promise.resolve({ answered: false, why: STORE_CLOSING });
      if (failed) return Promise.resolve({ answered: false, why: stopError ?? "the thread stopped" });
      const request: ReadRequest = { id: nextRead++, read, args };
      return new Promise((resolve, reject) => {
        pending.set(request.id, { resolve, reject });
        worker.postMessage(request);
      });
    },
    async close() {
      closing = true;
      // Referenced again so that the process waits for the thread to close its connection.
      worker.ref();
      if (!failed) worker.postMessage("close");
      await exited;
    },
    stats,
  };
}
