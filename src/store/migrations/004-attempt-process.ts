import type { Migration } from "./index.js";

/**
 * Where an attempt's agent runs as a process (an `exec` agent leads its own process group):
 * the host, the group id and the leader's start (`<boot id>:<start time>` from Linux's
 * /proc, null elsewhere). A process that reclaims the task after an expired lease — the
 * worker that ran it was killed, its agent orphaned — uses them to end that group on the
 * same host before the task runs again, and the start to never kill a group whose id was
 * reused by an unrelated process.
 */
export const attemptProcess: Migration = {
  version: 4,
  name: "attempt-process",
  sql: () => `
ALTER TABLE attempts ADD COLUMN host TEXT;
ALTER TABLE attempts ADD COLUMN pgid BIGINT;
ALTER TABLE attempts ADD COLUMN process_start TEXT;
`,
};
