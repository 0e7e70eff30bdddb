import type { Migration } from "./index.js";

/**
 * What the missed-delivery sweep and retention need.
 *
 * - `redeliveries`: every redelivery the sweep asked GitHub for, one row per ask: the
 *   delivery's guid (its X-GitHub-Delivery), the ask's number `n`, the hook and the hook
 *   log entry asked for, when, and GitHub's answer. The primary key `(guid, n)` is what
 *   keeps two instances sweeping at once from asking twice: each takes its ask number with
 *   an insert, and of two taking the same one, one conflicts and asks nothing.
 * - `deliveries.body_pruned_at`: when retention emptied the body (the row stays until the
 *   row limit), so a replay can say why it cannot route the delivery again.
 * - `deliveries_body_kept`: a partial index over the deliveries that still hold their body,
 *   so the hourly prune walks only those instead of every row older than the body limit
 *   (reading past a pruned row's column means reading its row, and a body can be 25 MB).
 */
export const redeliveries: Migration = {
  version: 6,
  name: "redeliveries",
  sql: () => `
CREATE TABLE redeliveries (
  guid TEXT NOT NULL,
  n INTEGER NOT NULL,
  hook TEXT NOT NULL,
  hook_delivery_id BIGINT NOT NULL,
  asked_at BIGINT NOT NULL,
  status INTEGER,
  error TEXT,
  PRIMARY KEY (guid, n)
);
CREATE INDEX redeliveries_asked_at ON redeliveries (asked_at);
ALTER TABLE deliveries ADD COLUMN body_pruned_at BIGINT;
CREATE INDEX deliveries_body_kept ON deliveries (received_at) WHERE body_pruned_at IS NULL;
`,
};
