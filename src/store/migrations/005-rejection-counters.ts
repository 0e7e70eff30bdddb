import type { Migration } from "./index.js";

/**
 * `rejection_counters`: webhook requests refused, counted per hour and reason (bad
 * signature, rate limited, outside the allowlist…), so the KPIs that speak of refused
 * requests read real numbers from the store. One row per hour and reason, not one per
 * request: hostile traffic must not grow the database a row at a time. Writers add to a
 * row with an upsert, batched in memory first (`src/store/rejection-tally.ts`).
 */
export const rejectionCounters: Migration = {
  version: 5,
  name: "rejection-counters",
  sql: () => `
CREATE TABLE rejection_counters (
  bucket_start_ms BIGINT NOT NULL,
  reason TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (bucket_start_ms, reason)
);
`,
};
