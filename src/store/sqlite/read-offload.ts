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
  readonly stats: Readonly<OffloadedReadStats>;
}

export interface OffloadedReadStats {
  /** Reads the thread answered (with a value or the read's own error). */
  answered: number;
  /** Reads the serving connection answered because the thread could not. */
  fellBack: number;
}

/**
 * Moves reads off the serving thread. better-sqlite3 is synchronous: a read on the
 * connection that commits webhooks holds every acknowledgement for as long as it runs (a
 * day's KPIs over a busy store, a list filtered over a large backlog: tenths of a second).
 * The store's background thread (the checkpointer's) answers them on a read-only connection
 * of its own; WAL lets it read what has committed while the serving connection writes. When
 * the thread cannot answer (it stopped), the read runs on the serving connection as before,
 * and `onError` is told once.
 *
 * @example
 * const reads = offloadReads(checkpointer, sqliteReads(prepared));
 * const rows = await reads.run("listDeliveries", [{ limit: 50 }]);
 */
export function offloadReads(thread: Pick<Checkpointer, "read">, fallback: SqliteReads, onError?: (message: string) => void): OffloadedReads {
  const stats: OffloadedReadStats = { answered: 0, fellBack: 0 };
  let told = false;
  return {
    async run(read, args) {
      const outcome = await thread.read(read, args).catch((error: unknown) => {
        stats.answered++;
        throw error;
      });
      if (outcome.answered) {
        stats.answered++;
        return revive(read, outcome.value) as ReturnType<SqliteReads[typeof read]>;
      }
      // A store that is closing is no trouble to report: the read is answered here while it can be.
      if (!told && outcome.why !== STORE_CLOSING) onError?.(`the SQLite store's thread cannot answer reads (${outcome.why}): the admin listener's reads run on the serving connection`);
      told ||= outcome.why !== STORE_CLOSING;
      stats.fellBack++;
      return (fallback[read] as (...a: unknown[]) => ReturnType<SqliteReads[typeof read]>)(...args);
    },
    stats,
  };
}
