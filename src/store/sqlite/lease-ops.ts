import type { Database } from "better-sqlite3";
import { reclaimedTasks, toAttemptProcessRecord, type AttemptProcessRow, type ReclaimedRow } from "../rows.js";
import { isUncounted, type AttemptProcess, type AttemptProcessRecord, type ReclaimOptions, type ReclaimResult, type TaskOutcome } from "../store.js";

/**
 * Operations on a leased task, run inside the group-commit writer. Renew and complete are
 * fenced: they write only while the caller's token is the task's current one and the task
 * is running, so a worker whose lease expired (and was reclaimed, perhaps re-claimed by
 * another worker) writes nothing.
 */

/** Prepares renew: extends the lease; false when the token is no longer current. */
export function prepareRenew(db: Database): (taskId: number, token: string, leaseUntil: number) => boolean {
  const renew = db.prepare("UPDATE tasks SET lease_until = ? WHERE id = ? AND lease_token = ? AND status = 'running'");
  return (taskId, token, leaseUntil) => renew.run(leaseUntil, taskId, token).changes === 1;
}

/**
 * Prepares complete: the task's new state and the close of its open attempt. A success
 * clears last_error (the attempt log keeps the history), so a succeeded task does not show
 * the error of an earlier attempt.
 */
export function prepareComplete(db: Database): (taskId: number, token: string, outcome: TaskOutcome, now: number) => boolean {
  // A dead task lets go of its idempotency key: a later task with the key may run.
  const finishTask = db.prepare(
    `UPDATE tasks SET status = ?, run_at = COALESCE(?, run_at), last_error = ?, lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?,
       holds_key = CASE WHEN ? = 'dead' THEN 0 ELSE holds_key END
     WHERE id = ? AND lease_token = ? AND status = 'running'`,
  );
  // An attempt a graceful shutdown cut off is not the task's failure: it moves the retry base
  // along, so it is not held against the retry policy (attempts still counts it).
  const finishUncounted = db.prepare(
    `UPDATE tasks SET status = ?, run_at = ?, last_error = ?, lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?, retry_base = retry_base + 1
     WHERE id = ? AND lease_token = ? AND status = 'running'`,
  );
  const closeAttempt = db.prepare(
    "UPDATE attempts SET finished_at = ?, outcome = ?, error = ?, retry_delay_ms = ?, output = ? WHERE task = ? AND finished_at IS NULL",
  );
  return (taskId, token, outcome, now) => {
    const output = outcome.output ?? null;
    if (outcome.status === "succeeded") {
      if (finishTask.run("succeeded", null, null, now, "succeeded", taskId, token).changes !== 1) return false;
      closeAttempt.run(now, "succeeded", null, null, output, taskId);
    } else if (outcome.status === "ready") {
      const finished =
        isUncounted(outcome.outcome)
          ? finishUncounted.run("ready", outcome.runAt, outcome.error, now, taskId, token)
          : finishTask.run("ready", outcome.runAt, outcome.error, now, "ready", taskId, token);
      if (finished.changes !== 1) return false;
      closeAttempt.run(now, outcome.outcome, outcome.error, outcome.retryDelayMs, output, taskId);
    } else {
      if (finishTask.run("dead", null, outcome.error, now, "dead", taskId, token).changes !== 1) return false;
      closeAttempt.run(now, outcome.outcome, outcome.error, null, output, taskId);
    }
    return true;
  };
}

/**
 * Prepares recordLateOutcome's attempt half (the store records the writes): attempt `n`,
 * closed as lease-expired or shutdown, keeps the run's output and gains how it ended.
 */
export function prepareLateAttempt(db: Database): (taskId: number, n: number, note: string, output: string | null) => void {
  const annotate = db.prepare(
    `UPDATE attempts SET error = COALESCE(error || '; ', '') || ?, output = COALESCE(output, ?)
     WHERE task = ? AND n = ? AND finished_at IS NOT NULL AND (outcome = 'lease-expired' OR outcome = 'shutdown')`,
  );
  return (taskId, n, note, output) => void annotate.run(note, output, taskId, n);
}

const LEASE_EXPIRED = "lease expired before the attempt finished (its worker stopped, or could not renew the lease: a store outage, a blocked process)";

/**
 * Prepares reclaimExpired: running tasks whose lease ended before `expiredBefore` go back to
 * ready, due at once in their place in the queue (run_at kept), and their open attempts are closed as `lease-expired` (finished when
 * the lease ran out, or now if that comes first: the time the sweep finds them says nothing
 * of the attempt); a task whose
 * attempts reached `maxAttempts` goes to dead instead, saying why. Run at start-up and
 * periodically, this is what makes a `kill -9` lose nothing, and what ends a crash loop.
 */
export function prepareReclaimExpired(db: Database): (now: number, options?: ReclaimOptions) => ReclaimResult {
  const closeAttempts = db.prepare(
    `UPDATE attempts SET finished_at = MIN(?, COALESCE((SELECT t.lease_until FROM tasks t WHERE t.id = attempts.task), ?)), outcome = 'lease-expired', error = ?
     WHERE finished_at IS NULL AND task IN (SELECT id FROM tasks WHERE status = 'running' AND lease_until < ?)`,
  );
  const giveUp = db.prepare(
    `UPDATE tasks SET status = 'dead', last_error = 'gave up after ' || (attempts - retry_base) || ' attempt' || CASE WHEN attempts - retry_base = 1 THEN '' ELSE 's' END || CASE WHEN retry_base > 0 THEN ' (' || attempts || ' in all, counting earlier runs)' ELSE '' END || ': ' || ?, lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?, holds_key = 0
     WHERE status = 'running' AND lease_until < ? AND attempts - retry_base >= ?
     RETURNING id, delivery`,
  );
  const requeue = db.prepare(
    `UPDATE tasks SET status = 'ready', last_error = ?, lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = ?
     WHERE status = 'running' AND lease_until < ?
     RETURNING id, delivery`,
  );
  return (now, { expiredBefore = now, maxAttempts = Number.MAX_SAFE_INTEGER } = {}) => {
    closeAttempts.run(now, now, LEASE_EXPIRED, expiredBefore);
    const deadTasks = reclaimedTasks(giveUp.all(LEASE_EXPIRED, now, expiredBefore, maxAttempts) as ReclaimedRow[]);
    const requeuedTasks = reclaimedTasks(requeue.all(LEASE_EXPIRED, now, expiredBefore) as ReclaimedRow[]);
    return { requeued: requeuedTasks.length, dead: deadTasks.length, requeuedTasks, deadTasks };
  };
}

/**
 * Prepares recordAttemptProcess: the process group on the task's open attempt, written only
 * while the caller's token is current (a worker that lost its lease records nothing).
 */
export function prepareRecordAttemptProcess(db: Database): (taskId: number, token: string, process: AttemptProcess) => boolean {
  const record = db.prepare(
    `UPDATE attempts SET host = ?, pgid = ?, process_start = ?
     WHERE task = ? AND finished_at IS NULL AND EXISTS (SELECT 1 FROM tasks WHERE id = ? AND lease_token = ? AND status = 'running')`,
  );
  return (taskId, token, process) => record.run(process.host, process.pgid, process.start, taskId, taskId, token).changes === 1;
}

/** Prepares listAttemptProcesses: the attempts of a task that recorded a process, oldest first. */
export function prepareListAttemptProcesses(db: Database): (taskId: number) => AttemptProcessRecord[] {
  const list = db.prepare<[number], AttemptProcessRow>(
    "SELECT n, outcome, host, pgid, process_start FROM attempts WHERE task = ? AND pgid IS NOT NULL ORDER BY n",
  );
  return (taskId) => list.all(taskId).map(toAttemptProcessRecord);
}
