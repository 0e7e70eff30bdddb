import type { Migration } from "./index.js";

/**
 * What lets several processes write one database and stay correct: the checks that were
 * SELECT-then-INSERT (right only while one process wrote) become unique constraints.
 *
 * - `delivery_signatures`: one row per signature, the delivery that holds it and when. An
 *   accept claims its signature with an upsert that only takes over a row older than the
 *   replay window, so of two deliveries racing with one signature exactly one commits.
 * - `tasks.holds_key`: 1 while a task holds its idempotency key (ready, running or
 *   succeeded; a dead task lets go). A partial unique index allows one holder per key, so
 *   of two tasks racing for a key one runs and the other is stored as skipped.
 * - `auth_failures`: failed signature checks per source address, so the failed-auth limit
 *   holds across instances; `attempts_started_at` lets the per-repository budget count task
 *   starts across instances.
 *
 * Both old indexes are replaced by the new structures: the signature index by the
 * signature table's key, the idempotency-key index by the partial unique one.
 */
export const sharedWriters: Migration = {
  version: 3,
  name: "shared-writers",
  sql: () => `
CREATE TABLE delivery_signatures (
  signature TEXT NOT NULL PRIMARY KEY,
  delivery TEXT NOT NULL,
  received_at BIGINT NOT NULL
);
INSERT INTO delivery_signatures (signature, delivery, received_at)
  SELECT d.signature, d.id, d.received_at FROM deliveries d
  WHERE d.signature IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM deliveries e WHERE e.signature = d.signature
      AND (e.received_at > d.received_at OR (e.received_at = d.received_at AND e.seq > d.seq)));
DROP INDEX deliveries_signature;

ALTER TABLE tasks ADD COLUMN holds_key INTEGER NOT NULL DEFAULT 0;
UPDATE tasks SET holds_key = 1 WHERE id IN (
  SELECT MIN(id) FROM tasks
  WHERE idempotency_key IS NOT NULL AND (status = 'ready' OR status = 'running' OR status = 'succeeded')
  GROUP BY idempotency_key);
DROP INDEX tasks_idempotency_key;
CREATE UNIQUE INDEX tasks_key_holder ON tasks (idempotency_key) WHERE holds_key = 1;

CREATE INDEX attempts_started_at ON attempts (started_at);

CREATE TABLE auth_failures (
  source TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX auth_failures_source ON auth_failures (source, at);
`,
};
