import type { Migration } from "./index.js";

/**
 * The first schema (docs/design.md). Times are epoch milliseconds in BIGINT columns;
 * ids the store hands out are generated integers, shown as strings.
 *
 * The CHECKs are written as ORs, not `IN (…)`: SQLite builds an ephemeral table for an IN
 * list each time it evaluates one, which tripled the cost of a task insert on the webhook path.
 *
 * `deliveries.seq` only orders deliveries received in the same millisecond (PostgreSQL has
 * no rowid); the delivery id is the identity callers use.
 */
export const init: Migration = {
  version: 1,
  name: "init",
  sql: (d) => `
CREATE TABLE deliveries (
  seq ${d.serialKey},
  id TEXT NOT NULL UNIQUE,
  signature TEXT,
  event TEXT NOT NULL,
  action TEXT,
  repository TEXT,
  installation BIGINT,
  number BIGINT,
  headers TEXT NOT NULL,
  body ${d.binary} NOT NULL,
  received_at BIGINT NOT NULL,
  ack_ms BIGINT
);
-- Replay check: the same signature within the window.
CREATE INDEX deliveries_signature ON deliveries (signature, received_at);
CREATE INDEX deliveries_received_at ON deliveries (received_at);
-- "What do you know about this issue?" (/agent status).
CREATE INDEX deliveries_subject ON deliveries (repository, number);

CREATE TABLE tasks (
  id ${d.serialKey},
  delivery TEXT NOT NULL REFERENCES deliveries (id),
  rule TEXT NOT NULL,
  agent TEXT NOT NULL,
  action TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (priority = 'critical' OR priority = 'high' OR priority = 'medium' OR priority = 'low'),
  -- 0 critical … 3 low: lets the claim walk an index in priority order instead of sorting every ready task.
  priority_rank INTEGER NOT NULL,
  idempotency_key TEXT,
  status TEXT NOT NULL CHECK (status = 'ready' OR status = 'running' OR status = 'succeeded' OR status = 'dead' OR status = 'skipped'),
  attempts INTEGER NOT NULL DEFAULT 0,
  run_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_token TEXT,
  lease_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
-- Claiming: ready tasks whose run_at has come; also the expired-lease sweep (running, lease_until).
CREATE INDEX tasks_claim ON tasks (status, priority_rank, run_at, id);
CREATE INDEX tasks_ready_at ON tasks (status, run_at);
CREATE INDEX tasks_delivery ON tasks (delivery, rule);
CREATE INDEX tasks_idempotency_key ON tasks (idempotency_key);

CREATE TABLE attempts (
  task BIGINT NOT NULL REFERENCES tasks (id),
  n INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  finished_at BIGINT,
  outcome TEXT,
  error TEXT,
  retry_delay_ms BIGINT,
  output TEXT,
  PRIMARY KEY (task, n)
);

CREATE TABLE github_actions (
  id ${d.serialKey},
  agent TEXT NOT NULL,
  task BIGINT REFERENCES tasks (id),
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  body TEXT,
  dry_run BOOLEAN NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX github_actions_task ON github_actions (task);
`,
};
