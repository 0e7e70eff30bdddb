import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DeliveryRecord } from "../store.js";
import { STORE_CLOSING, type Checkpointer } from "./checkpointer.js";
import type { SqliteReads, ThreadRead } from "./reads.js";

/**
 * Where the store's thread finds thread-reads.js: beside this file when compiled; the
 * build's copy when the test runner runs the TypeScript sources (a thread cannot load them).
 */
export function threadReadsEntry(here: string = import.meta.url): string {
  if (here.endsWith(".ts")) return fileURLToPath(new URL(here.replace(/\/src\/store\/sqlite\/read-offload\.ts$/, "/dist/store/sqlite/thread-reads.js")));
  return fileURLToPath(new URL("./thread-reads.js", here));
}

/** The entry when it is there; otherwise null, said once through `onError`. */
export function availableThreadReadsEntry(onError?: (message: string) => void, entry: string = threadReadsEntry()): string | null {
  if (existsSync(entry)) return entry;
  onError?.(`the code of the SQLite store's read thread is missing (${entry}): the admin listener's reads run on the serving connection`);
  return null;
}

/** What structured cloning changed on the way back: a delivery's body Buffer arrives as a plain Uint8Array. */
function revive(read: ThreadRead, value: unknown): unknown {
  if (read !== "getDelivery" || value === null) return value;
  const { body } = value as DeliveryRecord;
  return { ...(value as DeliveryRecord), body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
}

export interface OffloadedReads {
  run<K extends ThreadRead>(read: K, args: Parameters<SqliteReads[K]>): Promise<ReturnType<SqliteReads[K]>>;
  /** Refuses the reads still waiting (ReadsRefused, "closing"); the one under way finishes. */
  close(): void;
  readonly stats: Readonly<OffloadedReadStats>;
}

export interface OffloadedReadStats {
  /** Reads the thread answered (with a value or the read's own error). */
  answered: number;
  /** Reads the serving connection answered because the thread could not. */
  fellBack: number;
  /** Reads dropped before they ran: their caller went away. */
  dropped: number;
  /** Reads refused because MAX_WAITING_READS were waiting already. */
  refused: number;
}

/** How many reads may wait for the thread; more are refused at once (503, retry shortly). */
export const MAX_WAITING_READS = 32;

/**
 * Reads that may take long on a big store (a day's KPIs, a delivery list filtered by status):
 * they wait behind every other read, so a details page or the queue gauges never queue
 * behind a dashboard's KPI tiles.
 */
const LONG_READS: ReadonlySet<ThreadRead> = new Set(["readKpiCounts", "countRedeliveries", "listDeliveries"]);

/** Why a read was not run: too many waiting, or the store is closing. Answered 503 by the admin listener. */
export class ReadsRefused extends Error {
  constructor(
    readonly why: "busy" | "closing",
    message: string,
  ) {
    super(message);
    this.name = "ReadsRefused";
  }
}

/** Thrown to a read whose caller went away before it ran. */
export class ReadDropped extends Error {
  constructor() {
    super("the read was dropped: its caller went away before it ran");
    this.name = "ReadDropped";
  }
}

const readScope = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` with reads it makes tied to `signal`: once it aborts (an admin API client
 * disconnected), those still waiting for the thread are dropped instead of run for no one.
 *
 * @example app.addHook("onRequest", (request, reply, done) => whileWanted(signalOf(reply), done));
 */
export function whileWanted<T>(signal: AbortSignal, work: () => T): T {
  return readScope.run(signal, work);
}

interface Waiting {
  read: ThreadRead;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  dropped: () => void;
}

/**
 * Moves reads off the serving thread. better-sqlite3 is synchronous: a read on the
 * connection that commits webhooks holds every acknowledgement for as long as it runs (a
 * day's KPIs over a busy store, a list filtered over a large backlog: tenths of a second).
 * The store's background thread (the checkpointer's) answers them on a read-only connection
 * of its own; WAL lets it read what has committed while the serving connection writes.
 *
 * One read at a time is sent to the thread; the others wait here, short ones before
 * LONG_READS, at most MAX_WAITING_READS of them, and a read whose caller went away
 * (whileWanted) is dropped unrun. So checkpoints run between reads, a stop waits for one
 * read at most, and a burst of abandoned requests costs nothing. When the thread cannot
 * answer (it stopped), the read runs on the serving connection as before, and `onError` is
 * told once.
 *
 * @example
 * const reads = offloadReads(checkpointer, sqliteReads(prepared));
 * const rows = await reads.run("listDeliveries", [{ limit: 50 }]);
 */
export function offloadReads(thread: Pick<Checkpointer, "read">, fallback: SqliteReads, onError?: (message: string) => void): OffloadedReads {
  const stats: OffloadedReadStats = { answered: 0, fellBack: 0, dropped: 0, refused: 0 };
  const short: Waiting[] = [];
  const long: Waiting[] = [];
  let busy = false;
  let closed = false;
  let told = false;

  async function answer(read: ThreadRead, args: unknown[]): Promise<unknown> {
    const outcome = await thread.read(read, args).catch((error: unknown) => {
      stats.answered++;
      throw error;
    });
    if (outcome.answered) {
      stats.answered++;
      return revive(read, outcome.value);
    }
    // A store that is closing is no trouble to report: the read is answered here while it can be.
    if (!told && outcome.why !== STORE_CLOSING) onError?.(`the SQLite store's thread cannot answer reads (${outcome.why}): the admin listener's reads run on the serving connection`);
    told ||= outcome.why !== STORE_CLOSING;
    stats.fellBack++;
    return (fallback[read] as (...a: unknown[]) => unknown)(...args);
  }

  function pump(): void {
    if (busy) return;
    const next = short.shift() ?? long.shift();
    if (next === undefined) return;
    next.signal?.removeEventListener("abort", next.dropped);
    busy = true;
    answer(next.read, next.args)
      .then(next.resolve, next.reject)
      .finally(() => {
        busy = false;
        pump();
      });
  }

  return {
    run(read, args) {
      return new Promise((resolve, reject) => {
        if (closed) return reject(new ReadsRefused("closing", "the store is closing: the read was not run"));
        const signal = readScope.getStore();
        if (signal?.aborted) {
          stats.dropped++;
          return reject(new ReadDropped());
        }
        if (short.length + long.length >= MAX_WAITING_READS) {
          stats.refused++;
          return reject(new ReadsRefused("busy", `${MAX_WAITING_READS} reads of the store are waiting already: retry in a moment (the admin API answers one read at a time)`));
        }
        const queue = LONG_READS.has(read) ? long : short;
        const waiting: Waiting = {
          read,
          args,
          resolve: resolve as (value: unknown) => void,
          reject,
          signal,
          dropped: () => {
            const at = queue.indexOf(waiting);
            if (at === -1) return;
            queue.splice(at, 1);
            stats.dropped++;
            reject(new ReadDropped());
          },
        };
        signal?.addEventListener("abort", waiting.dropped, { once: true });
        queue.push(waiting);
        pump();
      });
    },
    close() {
      closed = true;
      for (const waiting of [...short.splice(0), ...long.splice(0)]) {
        waiting.signal?.removeEventListener("abort", waiting.dropped);
        waiting.reject(new ReadsRefused("closing", "the store is closing: the read was not run"));
      }
    },
    stats,
  };
}
