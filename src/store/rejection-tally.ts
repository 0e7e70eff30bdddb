import type { RejectionCount } from "./store-stats.js";
import { REJECTION_BUCKET_MS } from "./stats-sql.js";

/** Refused webhook requests counted in memory and written now and then, not one write per request. */
export interface RejectionTally {
  /** Counts one request refused with `reason` at `at` (epoch ms); written within `flushMs`. */
  add(reason: string, at: number): void;
  /** Writes what is counted and stops the timer; later adds are ignored. Resolves once written (or failed). */
  close(): Promise<void>;
}

export interface RejectionTallyOptions {
  /** Adds the rows to the store's counters (an upsert per row). */
  write: (rows: RejectionCount[]) => Promise<void>;
  /** How long counts wait in memory; default 1 s. */
  flushMs?: number;
  /** A write failed: the counts stay in memory and are tried again at the next flush. */
  onError?: (error: unknown) => void;
}

/**
 * The accumulator in front of `rejection_counters`. A flood of hostile requests (bad
 * signatures from a scanner) becomes one upsert per hour and reason per second, not a row
 * or a commit per request; counts that could not be written are kept and tried again.
 *
 * @example
 * const tally = createRejectionTally({ write: (rows) => addRejections(pool, rows) });
 * tally.add("bad_signature", Date.now());
 * await tally.close(); // on store close
 */
export function createRejectionTally(options: RejectionTallyOptions): RejectionTally {
  const flushMs = options.flushMs ?? 1000;
  const counts = new Map<string, RejectionCount>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const merge = (row: RejectionCount) => {
    const key = `${row.bucketStartMs}\u0000${row.reason}`;
    const held = counts.get(key);
    if (held) held.count += row.count;
    else counts.set(key, { ...row });
  };

  const schedule = () => {
    if (timer !== null || closed) return;
    timer = setTimeout(() => void flush(), flushMs);
    // Counting must never keep a process alive: close() writes what is left.
    timer.unref();
  };

  async function flush(): Promise<void> {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const rows = [...counts.values()];
    counts.clear();
    if (rows.length === 0) return;
    try {
      await options.write(rows);
    } catch (error) {
      for (const row of rows) merge(row);
      options.onError?.(error);
      schedule();
    }
  }

  return {
    add(reason, at) {
      if (closed) return;
      merge({ bucketStartMs: Math.floor(at / REJECTION_BUCKET_MS) * REJECTION_BUCKET_MS, reason, count: 1 });
      schedule();
    },
    async close() {
      if (closed) return;
      const last = flush();
      closed = true;
      await last;
    },
  };
}
