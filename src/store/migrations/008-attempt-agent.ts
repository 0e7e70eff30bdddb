import type { Migration } from "./index.js";

/**
 * `attempts.agent`: the agent that ran the attempt, written when the attempt opens (from the
 * task row as it was claimed). A replay of a delivery after a config change may route the
 * task's rule to another agent and relabel the row; the attempts keep saying who ran them.
 * Null on attempts opened before this migration (not known, and not guessed).
 *
 * `tasks.replays`: how many times an operator replay re-queued the task (a running task that
 * is replayed is left alone and not counted). The `http` executor's `webhook-id` carries it,
 * so a receiver that de-duplicates by id tells a deliberate re-run from a retry.
 */
export const attemptAgent: Migration = {
  version: 8,
  name: "attempt-agent",
  sql: () => `
ALTER TABLE attempts ADD COLUMN agent TEXT;
ALTER TABLE tasks ADD COLUMN replays INTEGER NOT NULL DEFAULT 0;
`,
};
