import type { Migration } from "./index.js";

/**
 * `tasks.retry_base`: the attempts that do not count against the retry policy — those
 * before the last replay (so a replayed dead task gets the whole policy again: first run
 * plus `retry.maxRetries`, with backoff) and those a graceful shutdown cut off. `attempts`
 * keeps counting every execution.
 */
export const replayBudget: Migration = {
  version: 2,
  name: "replay-budget",
  sql: () => "ALTER TABLE tasks ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0",
};
