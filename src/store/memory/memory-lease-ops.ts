import { randomUUID } from "node:crypto";
import { gaveUp } from "../../queue/decide-outcome.js";
import { isUncounted, type ClaimOptions, type ClaimedTask, type ReclaimOptions, type ReclaimResult, type TaskOutcome } from "../store.js";
import { releaseKey, toTaskRecord, type MemoryTables, type TaskState } from "./memory-tables.js";

/**
 * The queue operations of the in-memory store: claim, renew, complete, reclaim. Renew and
 * complete are fenced exactly as in the SQL adapters: they change a task only while the
 * caller's token is its current one and it is running.
 */

const LEASE_EXPIRED = "lease expired before the attempt finished (its worker stopped, or could not renew the lease: a store outage, a blocked process)";

/** Repositories with `limit` or more task starts after `since`: their tasks wait. */
function repositoriesOverBudget(tables: MemoryTables, since: number, limit: number): Set<string> {
  const starts = new Map<string, number>();
  for (const task of tables.tasks.values()) {
    const repository = tables.deliveries.get(task.delivery)?.delivery.repository?.toLowerCase() ?? null;
    if (repository === null) continue;
    const recent = task.attemptLog.filter((a) => a.startedAt > since).length;
    if (recent > 0) starts.set(repository, (starts.get(repository) ?? 0) + recent);
  }
  return new Set([...starts].filter(([, n]) => n >= limit).map(([repository]) => repository));
}

/** Leases up to `limit` due ready tasks, most urgent first (priority, run_at, id), each with a fresh token. */
export function claim(tables: MemoryTables, options: ClaimOptions): ClaimedTask[] {
  const { owner, now, leaseMs, limit, excludeAgents = [], excludeRepositories = [], repositoryBudget } = options;
  if (limit <= 0) return [];
  // Lower-cased, as GitHub compares repository names.
  const excluded = new Set(excludeRepositories.map((r) => r.toLowerCase()));
  if (repositoryBudget) for (const r of repositoriesOverBudget(tables, now - repositoryBudget.windowMs, repositoryBudget.limit)) excluded.add(r);
  const agents = new Set(excludeAgents);
  const due = [...tables.tasks.values()]
    .filter((t) => {
      if (t.status !== "ready" || t.runAt > now || agents.has(t.agent)) return false;
      const repository = tables.deliveries.get(t.delivery)!.delivery.repository;
      return repository === null || !excluded.has(repository.toLowerCase());
    })
    .sort((a, b) => a.rank - b.rank || a.runAt - b.runAt || a.id - b.id)
    .slice(0, limit);
  const leaseUntil = now + leaseMs;
  return due.map((task) => {
    const token = randomUUID();
    Object.assign(task, { status: "running", leaseOwner: owner, leaseToken: token, leaseUntil, attempts: task.attempts + 1, updatedAt: now });
    task.attemptLog.push({ task: String(task.id), n: task.attempts, startedAt: now, finishedAt: null, outcome: null, error: null, retryDelayMs: null, output: null, agent: task.agent });
    const { delivery, body } = tables.deliveries.get(task.delivery)!;
    return {
      ...toTaskRecord(task),
      leaseToken: token,
      leaseUntil,
      retryBase: task.retryBase,
      replays: task.replays,
      event: delivery.event,
      body: Buffer.from(body),
      repository: delivery.repository,
      installation: delivery.installation,
    };
  });
}

/** The running task this token leases, or null when the token is no longer current. */
export function leased(tables: MemoryTables, taskId: number | null, token: string): TaskState | null {
  const task = taskId === null ? undefined : tables.tasks.get(taskId);
  return task !== undefined && task.status === "running" && task.leaseToken === token ? task : null;
}

function endLease(task: TaskState, now: number): void {
  Object.assign(task, { leaseOwner: null, leaseToken: null, leaseUntil: null, updatedAt: now });
}

function closeAttempt(task: TaskState, fields: { finishedAt: number; outcome: string; error: string | null; retryDelayMs?: number | null; output?: string | null }): void {
  for (const attempt of task.attemptLog) {
    if (attempt.finishedAt !== null) continue;
    Object.assign(attempt, { retryDelayMs: null, output: null, ...fields });
  }
}

/**
 * Records an outcome on a leased task (fenced by `task` having been found by its token). A
 * success clears last_error; dead lets go of the idempotency key; an attempt a shutdown
 * cut off moves the retry base along, so it is not held against the retry policy.
 */
export function complete(tables: MemoryTables, task: TaskState, outcome: TaskOutcome, now: number): void {
  const output = outcome.output ?? null;
  endLease(task, now);
  if (outcome.status === "succeeded") {
    Object.assign(task, { status: "succeeded", lastError: null });
    closeAttempt(task, { finishedAt: now, outcome: "succeeded", error: null, output });
  } else if (outcome.status === "ready") {
    Object.assign(task, { status: "ready", runAt: outcome.runAt, lastError: outcome.error });
    if (isUncounted(outcome.outcome)) task.retryBase++;
    closeAttempt(task, { finishedAt: now, outcome: outcome.outcome, error: outcome.error, retryDelayMs: outcome.retryDelayMs, output });
  } else {
    Object.assign(task, { status: "dead", lastError: outcome.error });
    releaseKey(tables, task);
    closeAttempt(task, { finishedAt: now, outcome: outcome.outcome, error: outcome.error, output });
  }
}

/**
 * Running tasks whose lease ended before `expiredBefore` go back to ready (to run at `now`),
 * their open attempts closed as `lease-expired`; a task that used `maxAttempts` (counted
 * from its retry base) goes to dead instead, saying why.
 */
export function reclaimExpired(tables: MemoryTables, now: number, { expiredBefore = now, maxAttempts = Number.MAX_SAFE_INTEGER }: ReclaimOptions = {}): ReclaimResult {
  const result: ReclaimResult = { requeued: 0, dead: 0, requeuedTasks: [], deadTasks: [] };
  for (const task of tables.tasks.values()) {
    if (task.status !== "running" || task.leaseUntil === null || task.leaseUntil >= expiredBefore) continue;
    closeAttempt(task, { finishedAt: Math.min(now, task.leaseUntil), outcome: "lease-expired", error: LEASE_EXPIRED });
    endLease(task, now);
    const counted = task.attempts - task.retryBase;
    if (counted >= maxAttempts) {
      Object.assign(task, { status: "dead", lastError: `${gaveUp(counted, task.retryBase)}: ${LEASE_EXPIRED}` });
      releaseKey(tables, task);
      result.dead++;
      result.deadTasks.push({ id: String(task.id), delivery: task.delivery });
    } else {
      // Its run_at stays: it is due since then, and goes before the tasks that came after it.
      Object.assign(task, { status: "ready", lastError: LEASE_EXPIRED });
      result.requeued++;
      result.requeuedTasks.push({ id: String(task.id), delivery: task.delivery });
    }
  }
  return result;
}
