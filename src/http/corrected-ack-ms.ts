/**
 * How far the full ack time (from handing the delivery to the store to its commit
 * completing) may exceed the figure the store measured inside the accept before the stored
 * figure is corrected. On a healthy store the gap is the statements and the commit's fsync,
 * a few ms (the slowest whole request in the bench's open loop at 1,000 deliveries/s took
 * 38.6 ms, docs/performance.md): none of that may cost a write. A gap over 100 ms is a
 * stall (a lock held on the table, a starved disk), what `response_time_p95` is there to
 * catch; and 100 ms is 3% of its 3 s bound, so a figure left short by less misleads no one.
 */
export const ACK_CORRECTION_MS = 100;

/**
 * The ack time to store in place of `storedMs` once the commit completed `fullMs` after the
 * delivery was handed to the store; null when the stored figure stands (the usual case:
 * no write).
 *
 * @example
 * correctedAckMs(0, 5_512); // 5512: the insert waited 5.5 s for a table lock
 * correctedAckMs(1, 4); // null: an fsync
 */
export function correctedAckMs(storedMs: number, fullMs: number): number | null {
  return fullMs - storedMs > ACK_CORRECTION_MS ? fullMs : null;
}
