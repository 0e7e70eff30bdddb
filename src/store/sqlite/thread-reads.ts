// The admin listener's reads as the store's background thread answers them (checkpointer.ts
// imports this module there, on the first read): a read-only connection of its own.
import Database from "better-sqlite3";
import { checkedPayloadText } from "../../present/raw-json.js";
import type { DeliveryRecord } from "../store.js";
import { prepareReadOps, sqliteReads, THREAD_READS, type ThreadRead } from "./reads.js";

/** What the serving thread sends: one read of THREAD_READS and its arguments. */
export interface ReadRequest {
  id: number;
  read: ThreadRead;
  args: unknown[];
}

/** What comes back: the value, or the error's message and SQLite code. */
export type ReadAnswer = { id: number; value: unknown } | { id: number; error: { message: string; code?: string } };

/** The thread's side: answers each request on its connection, synchronously, one at a time. */
export interface ThreadReads {
  answer(request: ReadRequest): ReadAnswer;
  close(): void;
}

const known = new Set<string>(THREAD_READS);

/**
 * A delivery asked for with `payloadText`: its body checked and made one line here, so a
 * multi-megabyte payload is parsed on this thread, not on the one that acknowledges
 * webhooks; the body is not sent back (it would be cloned for nothing).
 */
function withPayloadText(record: DeliveryRecord | null, options: unknown): DeliveryRecord | null {
  const wanted = (options as { payloadText?: unknown } | undefined)?.payloadText;
  if (record === null || wanted === undefined) return record;
  if (wanted === true) return { ...record, payloadText: checkedPayloadText(record.body), body: Buffer.alloc(0) };
  // Asked without the payload (a page refreshing what it drew): a delivery with tasks needs
  // nothing of its body, so a large one is not cloned back every refresh.
  return record.tasks.length > 0 ? { ...record, body: Buffer.alloc(0) } : record;
}

/**
 * Opens `file` read-only for the reads (WAL: they see what the serving connection has
 * committed). Statements are prepared on the first read.
 */
export function openThreadReads(file: string): ThreadReads {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -2000");
  let ops: ReturnType<typeof prepareReadOps> | undefined;
  const reads = sqliteReads(() => (ops ??= prepareReadOps(db)));
  return {
    answer({ id, read, args }) {
      try {
        if (!known.has(read)) throw new Error(`the store's thread has no read "${read}"`);
        const value = (reads[read] as (...a: unknown[]) => unknown)(...args);
        return { id, value: read === "getDelivery" ? withPayloadText(value as DeliveryRecord | null, args[1]) : value };
      } catch (error) {
        const { message, code } = error as { message?: unknown; code?: unknown };
        return { id, error: { message: String(message ?? error), ...(typeof code === "string" ? { code } : {}) } };
      }
    },
    close() {
      db.close();
    },
  };
}
