import type pg from "pg";
import { reclaimedTasks, toAttemptProcessRecord, type AttemptProcessRow, type ReclaimedRow } from "../rows.js";
import { isUncounted, type AttemptProcess, type AttemptProcessRecord, type GithubActionRecord, type ReclaimOptions, type ReclaimResult, type TaskOutcome } from "../store.js";
import { NOTIFY_TASKS_DUE } from "./pg-accept.js";
import { transaction, type Tx } from "./pg-pool.js";

/**
 * Operations on a leased task. Renew and complete are fenced exactly as on SQLite: they
 * write only while the caller's token is the task's current one and the task is running.
 */

export async function renewLease(pool: pg.Pool, taskId: number, token: string, leaseUntil: number): Promise<boolean> {
  const result = await pool.query({
    name: "sy_renew",
    text: "UPDATE tasks SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND status = 'running'",
    values: [leaseUntil, taskId, token],
  });
  return result.rowCount === 1;
}

// A dead task lets go of its idempotency key; a cut-off one (shutdown) moves the retry base along.
const FINISH_TASK = `UPDATE tasks SET status = $1, run_at = COALESCE($2, run_at), last_error = $3, lease_owner = NULL, lease_token = NULL,
    lease_until = NULL, updated_at = $4, holds_key = CASE WHEN $1 = 'dead' THEN 0 ELSE holds_key END,
    retry_base = retry_base + $7
  WHERE id = $5 AND lease_token = $6 AND status = 'running'`;
const CLOSE_ATTEMPT = "UPDATE attempts SET finished_at = $1, outcome = $2, error = $3, retry_delay_ms = $4, output = $5 WHERE task = $6 AND finished_at IS NULL";
const INSERT_ACTION = "INSERT INTO github_actions (agent, task, method, route, body, dry_run, at) VALUES ($1, $2, $3, $4, $5, $6, $7)";

/** Records a GitHub write inside the caller's transaction (or on the pool). */
export async function insertGithubAction(client: Tx | pg.Pool, action: GithubActionRecord, task: number | null, body: string | null): Promise<void> {
  await client.query({ name: "sy_insert_action", text: INSERT_ACTION, values: [action.agent, task, action.method, action.route, body, action.dryRun, action.at] });
}

/** The task's new state, the close of its open attempt and the GitHub writes it made: one transaction. */
export async function completeTask(
  pool: pg.Pool,
  taskId: number,
  token: string,
  outcome: TaskOutcome,
  now: number,
  actions: readonly { action: GithubActionRecord; body: string | null }[],
): Promise<boolean> {
  return transaction(pool, async (tx) => {
    const runAt = outcome.status === "ready" ? outcome.runAt : null;
    const error = outcome.status === "succeeded" ? null : outcome.error;
    const uncounted = outcome.status === "ready" && isUncounted(outcome.outcome) ? 1 : 0;
    const finished = await tx.query({ name: "sy_finish_task", text: FINISH_TASK, values: [outcome.status, runAt, error, now, taskId, token, uncounted] });
    if (finished.rowCount !== 1) return false;
    const attemptOutcome = outcome.status === "succeeded" ? "succeeded" : outcome.outcome;
    const retryDelay = outcome.status === "ready" ? outcome.retryDelayMs : null;
    await tx.query({ name: "sy_close_attempt", text: CLOSE_ATTEMPT, values: [now, attemptOutcome, error, retryDelay, outcome.output ?? null, taskId] });
    for (const { action, body } of actions) await insertGithubAction(tx, action, taskId, body);
    // Back in the queue: idle workers elsewhere learn when to look again.
    if (outcome.status === "ready") await tx.query(NOTIFY_TASKS_DUE);
    return true;
  });
}

/** Store.recordLateOutcome: attempt `n` keeps the run's output and gains how it ended; the writes it made are recorded. */
export async function recordLateOutcome(pool: pg.Pool, taskId: number, n: number, note: string, output: string | null, actions: readonly { action: GithubActionRecord; body: string | null }[]): Promise<void> {
  await transaction(pool, async (tx) => {
    await tx.query(
      `UPDATE attempts SET error = COALESCE(error || '; ', '') || $1, output = COALESCE(output, $2)
       WHERE task = $3 AND n = $4 AND finished_at IS NOT NULL AND (outcome = 'lease-expired' OR outcome = 'shutdown')`,
      [note, output, taskId, n],
    );
    for (const { action, body } of actions) await insertGithubAction(tx, action, taskId, body);
  });
}

const LEASE_EXPIRED = "lease expired before the attempt finished (its worker stopped, or could not renew the lease: a store outage, a blocked process)";

/** Expired leases back to ready (or dead after maxAttempts), their attempts closed as `lease-expired`. */
export async function reclaimExpired(pool: pg.Pool, now: number, { expiredBefore = now, maxAttempts = Number.MAX_SAFE_INTEGER }: ReclaimOptions = {}): Promise<ReclaimResult> {
  return transaction(pool, async (tx) => {
    await tx.query(
      `UPDATE attempts SET finished_at = LEAST($1, COALESCE((SELECT t.lease_until FROM tasks t WHERE t.id = attempts.task), $1)), outcome = 'lease-expired', error = $2
       WHERE finished_at IS NULL AND task IN (SELECT id FROM tasks WHERE status = 'running' AND lease_until < $3)`,
      [now, LEASE_EXPIRED, expiredBefore],
    );
    const dead = await tx.query<ReclaimedRow>(
      `UPDATE tasks SET status = 'dead', last_error = 'gave up after ' || (attempts - retry_base) || ' attempt' || CASE WHEN attempts - retry_base = 1 THEN '' ELSE 's' END || CASE WHEN retry_base > 0 THEN ' (' || attempts || ' in all, counting earlier runs)' ELSE '' END || ': ' || $1::text, lease_owner = NULL,
         lease_token = NULL, lease_until = NULL, updated_at = $2, holds_key = 0
       WHERE status = 'running' AND lease_until < $3 AND attempts - retry_base >= $4::bigint
       RETURNING id, delivery`,
      [LEASE_EXPIRED, now, expiredBefore, maxAttempts],
    );
    const requeued = await tx.query<ReclaimedRow>(
      `UPDATE tasks SET status = 'ready', last_error = $2, lease_owner = NULL, lease_token = NULL, lease_until = NULL, updated_at = $1
       WHERE status = 'running' AND lease_until < $3
       RETURNING id, delivery`,
      [now, LEASE_EXPIRED, expiredBefore],
    );
    if (requeued.rows.length > 0) await tx.query(NOTIFY_TASKS_DUE);
    const requeuedTasks = reclaimedTasks(requeued.rows);
    const deadTasks = reclaimedTasks(dead.rows);
    return { requeued: requeuedTasks.length, dead: deadTasks.length, requeuedTasks, deadTasks };
  });
}

/** The process group on the task's open attempt, written only while the caller's token is current. */
export async function recordAttemptProcess(pool: pg.Pool, taskId: number, token: string, process: AttemptProcess): Promise<boolean> {
  const result = await pool.query({
    name: "sy_record_attempt_process",
    text: `UPDATE attempts SET host = $1, pgid = $2, process_start = $3
      WHERE task = $4 AND finished_at IS NULL AND EXISTS (SELECT 1 FROM tasks WHERE id = $4 AND lease_token = $5 AND status = 'running')`,
    values: [process.host, process.pgid, process.start, taskId, token],
  });
  return result.rowCount === 1;
}

/** The attempts of a task that recorded a process, oldest first. */
export async function listAttemptProcesses(pool: pg.Pool, taskId: number): Promise<AttemptProcessRecord[]> {
  const result = await pool.query<AttemptProcessRow>({
    name: "sy_list_attempt_processes",
    text: "SELECT n, outcome, host, pgid, process_start FROM attempts WHERE task = $1 AND pgid IS NOT NULL ORDER BY n",
    values: [taskId],
  });
  return result.rows.map(toAttemptProcessRecord);
}
