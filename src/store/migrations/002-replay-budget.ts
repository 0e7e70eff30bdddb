import type { Migration } from "./index.js";

/**
 * `tasks.retry_base`: the attempts a task had when it was last replayed. Retries are
 * counted from there, so a replayed dead task gets the whole retry policy again (first run
 * plus `retry.maxRetries`, with backoff) while `attempts` keeps counting every execution.
 */
export const replayBudget: Migration = {
  version: 2,
  name: "replay-budget",
  sql: () => "ALTER TABLE tasks ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0",
};
