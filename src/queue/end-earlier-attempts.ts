import type { Logger } from "pino";
import type { AttemptProcessRecord, ClaimedTask, Store } from "../store/store.js";
import { TransientError } from "./agent-errors.js";
import { killGroup, recordedGroupState } from "./process-group.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";

/**
 * The store could not be read before the run: nothing of the agent ran, so the attempt is
 * handed back without counting (the worker's `execute`), not spent as a retry.
 */
export class StoreUnreadBeforeRun extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = "StoreUnreadBeforeRun";
  }
}

/** Between SIGTERM and SIGKILL for an orphan, as for an exec agent's own timeout. */
const ORPHAN_GRACE_MS = 2000;

/**
 * Before a task runs again: the agents of its earlier attempts that are still running on
 * this host are killed, and the run waits until they are gone. A worker killed with SIGKILL
 * (or the OOM killer) leaves its `exec` agent running as an orphan; its lease expires, the
 * task is reclaimed, and without this the next attempt would run beside the orphan — a
 * deploy script run twice at once. Throws a TransientError (the attempt is retried later)
 * when an orphan survives SIGKILL. What cannot be checked is logged, not guessed at: a group
 * on another host, or one whose start cannot be read (no /proc; see process-group.ts).
 *
 * @example await endEarlierAttempts(store, task, log); // then run the agent
 */
export async function endEarlierAttempts(store: Store, task: ClaimedTask, log: Logger): Promise<void> {
  if (task.attempts <= 1 || store.listAttemptProcesses === undefined) return;
  let recordedProcesses: AttemptProcessRecord[];
  try {
    recordedProcesses = await store.listAttemptProcesses(task.id);
  } catch (error) {
    // Unchecked is not safe to run: a store hiccup is retried, not taken as the agent's failure.
    const message = `could not read the processes of the task's earlier attempts: ${(error as Error).message}`;
    if (isStoreUnavailable(error)) throw new StoreUnreadBeforeRun(message, { cause: error });
    throw new TransientError(message, { cause: error });
  }
  const earlier = recordedProcesses.filter((p) => p.n < task.attempts);
  for (const recorded of earlier) {
    const state = await recordedGroupState(recorded);
    const about = { attemptProcess: recorded.n, pgid: recorded.pgid, host: recorded.host };
    if (state === "running") {
      log.warn(about, `the agent of attempt ${recorded.n} (process group ${recorded.pgid}) is still running, left by a worker that stopped or lost the task's lease without ending it: killing it before this attempt runs`);
      if (!(await killGroup(recorded.pgid, ORPHAN_GRACE_MS))) {
        throw new TransientError(`the agent of attempt ${recorded.n} (process group ${recorded.pgid}) is still running and did not die on SIGKILL: not running this attempt beside it`);
      }
    } else if (state === "unknown") {
      log.warn(about, `process group ${recorded.pgid} (attempt ${recorded.n}'s agent) is in use, but its start cannot be read here (no /proc), so it may be an unrelated process: not killed`);
    } else if (state === "elsewhere" && recorded.outcome === "lease-expired") {
      log.warn(about, `attempt ${recorded.n} ran on ${recorded.host} and its lease expired: if its agent still runs there, it runs beside this attempt`);
    }
  }
}
