/**
 * The store's side of retention (src/store/retention/): one small batch at a time, so a
 * prune never holds the writer for long. The caller walks the batches with the cursor each
 * one hands back. Camel case and epoch milliseconds, as every store record.
 */

/** Where a walk over old deliveries stands: the last delivery a batch looked at. */
export interface PruneCursor {
  receivedAt: number;
  seq: number;
}

export interface PruneBatchOptions {
  /** Deliveries received before this instant are old enough. */
  before: number;
  /** At most this many deliveries looked at in the batch. */
  limit: number;
  /** Continue after this delivery; null: from the oldest. */
  after: PruneCursor | null;
  /** Count what would go, change nothing. */
  dryRun: boolean;
  /** When the body was pruned (recorded on the row). */
  now: number;
  /**
   * Bodies: the rows pass's `before`. A dry run has deleted no rows, so the bodies pass
   * leaves out the deliveries whose rows would go, and counts what a real prune empties.
   */
  rowsBefore?: number;
}

export interface PruneBodiesBatch {
  /** Bodies emptied (or, dry, that would be). */
  bodies: number;
  /** Their size, bytes. */
  bytes: number;
  /** Where the next batch starts; null when the walk is done. */
  next: PruneCursor | null;
}

export interface PruneRowsBatch {
  deliveries: number;
  tasks: number;
  attempts: number;
  githubActions: number;
  next: PruneCursor | null;
}

/** The small bookkeeping tables (refusal counters, redelivery asks) pruned past the row limit. */
export interface PruneBookkeepingOptions {
  before: number;
  limit: number;
  dryRun: boolean;
}
