import { randomUUID } from "node:crypto";
import type { Database, Statement } from "better-sqlite3";
import type { ClaimOptions, ClaimedTask } from "../store.js";
import { REPOSITORIES_OVER_BUDGET_SQL, TASK_COLUMNS, toClaimedTask } from "../rows.js";
import type { ClaimRow } from "../rows.js";

type CandidateRow = Omit<ClaimRow, "body">;

/** Leases a task for attempt `attempt` and opens that attempt; returns the fresh lease token. */
export type LeaseTask = (id: number | string, owner: string, leaseUntil: number, now: number, attempt: number) => string;

/**
 * Prepares the lease a claim writes, shared with the accept's hand-off: status running, a
 * fresh token, the attempt counted and its row opened.
 */
export function prepareLeaseTask(db: Database): LeaseTask {
  const lease = db.prepare("UPDATE tasks SET status = 'running', lease_owner = ?, lease_token = ?, lease_until = ?, attempts = ?, updated_at = ? WHERE id = ?");
  // The attempt records the agent that runs it: a later replay may relabel the task (migration 8).
  const openAttempt = db.prepare("INSERT INTO attempts (task, n, started_at, agent) SELECT id, ?, ?, agent FROM tasks WHERE id = ?");
  return (id, owner, leaseUntil, now, attempt) => {
    const token = randomUUID();
    lease.run(owner, token, leaseUntil, attempt, now, id);
    openAttempt.run(attempt, now, id);
    return token;
  };
}

/**
 * Prepares the claim operation (run inside the group-commit writer): leases up to `limit`
 * due ready tasks, most urgent first, each with a fresh token so that a worker whose lease
 * expired can no longer complete the task another worker took over (fencing).
 */
export function prepareClaim(db: Database, leaseTask: LeaseTask): (options: ClaimOptions) => ClaimedTask[] {
  // One statement per number of excluded agents and repositories (a handful at most), prepared on first use.
  const selects = new Map<string, Statement<unknown[], CandidateRow>>();
  const placeholders = (n: number) => new Array(n).fill("?").join(", ");
  const select = (agents: number, repositories: number): Statement<unknown[], CandidateRow> => {
    const key = `${agents}:${repositories}`;
    let statement = selects.get(key);
    if (statement === undefined) {
      const exclude =
        (agents === 0 ? "" : `AND t.agent NOT IN (${placeholders(agents)}) `) +
        (repositories === 0 ? "" : `AND (d.repository IS NULL OR lower(d.repository) NOT IN (${placeholders(repositories)}))`);
      // INDEXED BY: walk (status, priority_rank, run_at, id) in order and stop at the limit.
      // Left to itself the planner picks the run_at index and sorts every due task, which
      // made each claim cost O(backlog) exactly when a backlog builds up.
      statement = db.prepare<unknown[], CandidateRow>(
        `SELECT ${TASK_COLUMNS}, t.retry_base, t.replays, d.event, d.repository, d.installation
         FROM tasks t INDEXED BY tasks_claim JOIN deliveries d ON d.id = t.delivery
         WHERE t.status = 'ready' AND t.run_at <= ? ${exclude}
         ORDER BY t.priority_rank, t.run_at, t.id
         LIMIT ?`,
      );
      selects.set(key, statement);
    }
    return statement;
  };
  // Read apart: the select walks the claim index in order and stops at the limit.
  const bodyOf = db.prepare<[string], Buffer>("SELECT body FROM deliveries WHERE id = ?").pluck();
  const overBudget = db.prepare<[number, number], string>(REPOSITORIES_OVER_BUDGET_SQL.replaceAll("$1", "?").replaceAll("$2", "?")).pluck();

  return ({ owner, now, leaseMs, limit, excludeAgents = [], excludeRepositories = [], repositoryBudget }) => {
    // Lower-cased, as GitHub compares repository names (a renamed repository's two spellings are one).
    const excluded = [...excludeRepositories, ...(repositoryBudget ? overBudget.all(now - repositoryBudget.windowMs, repositoryBudget.limit) : [])].map((r) => r.toLowerCase());
    const rows = select(excludeAgents.length, excluded.length).all(now, ...excludeAgents, ...excluded, limit);
    const leaseUntil = now + leaseMs;
    return rows.map((row) => {
      const attempts = row.attempts + 1;
      const token = leaseTask(row.id, owner, leaseUntil, now, attempts);
      const body = bodyOf.get(row.delivery) ?? Buffer.alloc(0);
      return toClaimedTask({ ...row, body, status: "running", attempts, updated_at: now }, token, leaseUntil);
    });
  };
}
