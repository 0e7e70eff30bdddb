import type pg from "pg";
import type { ClaimOptions, ClaimedTask } from "../store.js";
import { REPOSITORIES_OVER_BUDGET_SQL, toClaimedTask, type ClaimRow } from "../rows.js";
import { transaction } from "./pg-pool.js";

interface ClaimedRow extends ClaimRow {
  lease_token: string;
}

// Serializes claims under a repository budget across instances: each sees the starts the
// others committed, so the budget is not overshot by one per instance.
const BUDGET_LOCK = 0x5357_4252; // "SWBR"

/**
 * Leases up to `limit` due ready tasks in one statement: the candidates are locked with
 * `FOR UPDATE SKIP LOCKED`, so claimers on every instance take different tasks and never
 * wait on each other; each gets a fresh token (fencing) and an attempt row, which records the agent that runs it.
 */
const CLAIM_SQL = `WITH picked AS (
  SELECT t.id FROM tasks t JOIN deliveries d ON d.id = t.delivery
  WHERE t.status = 'ready' AND t.run_at <= $1 AND t.agent <> ALL($2::text[])
    AND (d.repository IS NULL OR lower(d.repository) <> ALL($3::text[]))
  ORDER BY t.priority_rank, t.run_at, t.id
  LIMIT $4
  FOR UPDATE OF t SKIP LOCKED
), leased AS (
  UPDATE tasks t SET status = 'running', lease_owner = $5, lease_token = gen_random_uuid()::text, lease_until = $6,
    attempts = t.attempts + 1, updated_at = $1
  FROM picked WHERE t.id = picked.id
  RETURNING t.*
), opened AS (
  INSERT INTO attempts (task, n, started_at, agent) SELECT id, attempts, $1, agent FROM leased
)
SELECT l.id, l.delivery, l.rule, l.agent, l.action, l.priority, l.idempotency_key, l.status, l.attempts, l.run_at, l.last_error,
  l.created_at, l.updated_at, l.lease_token, l.retry_base, l.replays, d.event, d.body, d.repository, d.installation
FROM leased l JOIN deliveries d ON d.id = l.delivery
ORDER BY l.priority_rank, l.run_at, l.id`;

export async function claimTasks(pool: pg.Pool, options: ClaimOptions): Promise<ClaimedTask[]> {
  const { owner, now, leaseMs, limit, excludeAgents = [], excludeRepositories = [], repositoryBudget } = options;
  const leaseUntil = now + leaseMs;
  const run = async (client: pg.Pool | pg.PoolClient, repositories: readonly string[]) =>
    (await client.query<ClaimedRow>({ name: "sy_claim", text: CLAIM_SQL, values: [now, excludeAgents, repositories.map((r) => r.toLowerCase()), limit, owner, leaseUntil] })).rows;
  const rows = repositoryBudget
    ? await transaction(pool, async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [BUDGET_LOCK]);
        const over = await tx.query<{ repository: string }>(REPOSITORIES_OVER_BUDGET_SQL, [now - repositoryBudget.windowMs, repositoryBudget.limit]);
        return run(tx, [...excludeRepositories, ...over.rows.map((r) => r.repository)]);
      })
    : await run(pool, excludeRepositories);
  return rows.map((row) => toClaimedTask(row, row.lease_token, leaseUntil));
}
