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
  const survivor = await endRecordedGroups(
    recordedProcesses.filter((p) => p.n < task.attempts),
    log,
    "left by a worker that stopped or lost the task's lease without ending it: killing it before this attempt runs",
    "if its agent still runs there, it runs beside this attempt",
  );
  if (survivor !== null) {
    throw new TransientError(`the agent of attempt ${survivor.n} (process group ${survivor.pgid}) is still running and did not die on SIGKILL: not running this attempt beside it`);
  }
}

/**
 * A task given up (`dead`) because its last allowed attempt's lease expired: its worker
 * stopped without ending the agent, which runs on as an orphan with no timeout left to end
 * it (and would run beside a later `/agent execute` or replay). Its agents still running on
 * this host are killed, as before a rerun; what cannot be read is left, and said.
 */
export async function endGivenUpAttempts(store: Store, taskIds: readonly string[], log: Logger): Promise<void> {
  if (store.listAttemptProcesses === undefined) return;
  for (const id of taskIds) {
    const recorded = await store.listAttemptProcesses(id).catch((error: unknown) => {
      log.warn({ task: id, reason: (error as Error).message }, "could not read the processes of a task given up: an agent it left running is not ended");
      return [];
    });
    // Only the attempts the sweep cut off: a rerun (a replay claimed meanwhile) keeps its agent.
    const cutOff = recorded.filter((group) => group.outcome === "lease-expired");
    const survivor = await endRecordedGroups(cutOff, log.child({ task: id }), "left by a worker that stopped, and its task was given up: killing it", "if its agent still runs there, nothing here ends it");
    if (survivor !== null) log.error({ task: id, pgid: survivor.pgid }, `the agent of attempt ${survivor.n} (process group ${survivor.pgid}) of a task given up did not die on SIGKILL`);
  }
}

/** Kills the recorded groups still running on this host; the first that survives SIGKILL, or null. */
async function endRecordedGroups(recorded: readonly AttemptProcessRecord[], log: Logger, why: string, elsewhere: string): Promise<AttemptProcessRecord | null> {
  for (const group of recorded) {
    const state = await recordedGroupState(group);
    const about = { attemptProcess: group.n, pgid: group.pgid, host: group.host };
    if (state === "running") {
      log.warn(about, `the agent of attempt ${group.n} (process group ${group.pgid}) is still running, ${why}`);
      if (!(await killGroup(group.pgid, ORPHAN_GRACE_MS))) return group;
    } else if (state === "unknown") {
      log.warn(about, `process group ${group.pgid} (attempt ${group.n}'s agent) is in use, but its start cannot be read here (no /proc), so it may be an unrelated process: not killed`);
    } else if (state === "elsewhere" && group.outcome === "lease-expired") {
      log.warn(about, `attempt ${group.n} ran on ${group.host} and its lease expired: ${elsewhere}`);
    }
  }
  return null;
}
