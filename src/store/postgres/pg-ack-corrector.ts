import type pg from "pg";

// Raised, never lowered: a late or repeated correction cannot undo a larger figure.
const RAISE_ACK_MS = `UPDATE deliveries d SET ack_ms = c.ack_ms
  FROM unnest($1::text[], $2::bigint[]) AS c(id, ack_ms)
  WHERE d.id = c.id AND d.ack_ms < c.ack_ms`;

interface Batch {
  ids: string[];
  ackMs: number[];
  done: Promise<void>;
}

/**
 * `Store.correctAckMs` on PostgreSQL. Corrections follow a stall (a lock, a slow disk), and
 * a stall ends with every delivery it held committing at once: an UPDATE each would then
 * take pool connections from the accepts just as their backlog drains, and with every
 * commit slow it would double the commits. So one UPDATE runs at a time, and the
 * corrections asked for while it runs go together in the next one.
 *
 * @example
 * const correctAckMs = createAckCorrector(pool);
 * await correctAckMs("72d3162e-cc78-11e3-81ab-4c9367dc0958", 5_512);
 */
export function createAckCorrector(pool: pg.Pool): (delivery: string, ackMs: number) => Promise<void> {
  let open: Batch | null = null;
  let previous: Promise<void> = Promise.resolve();
  return (delivery, ackMs) => {
    if (open === null) {
      const batch: Batch = { ids: [], ackMs: [], done: Promise.resolve() };
      batch.done = previous.then(async () => {
        // Closed to newcomers once its UPDATE starts: they open the next batch.
        if (open === batch) open = null;
        await pool.query(RAISE_ACK_MS, [batch.ids, batch.ackMs]);
      });
      // Each caller is told of a failure through `done`; the next batch runs either way.
      previous = batch.done.catch(() => undefined);
      open = batch;
    }
    open.ids.push(delivery);
    open.ackMs.push(ackMs);
    return open.done;
  };
}
