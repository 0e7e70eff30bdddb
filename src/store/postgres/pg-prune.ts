import type pg from "pg";
import type { PruneBatchOptions, PruneBodiesBatch, PruneBookkeepingOptions, PruneCursor, PruneRowsBatch } from "../prune-records.js";
import { transaction } from "./pg-pool.js";

/**
 * Retention on PostgreSQL, one short transaction per batch, as on SQLite: `limit`
 * deliveries in (received_at, seq) order after the cursor. The space deleted rows held is
 * reused by PostgreSQL once autovacuum has passed; it is not given back to the file system
 * (docs/operations.md).
 */

const START: PruneCursor = { receivedAt: -1, seq: -1 };

interface Candidate {
  seq: number;
  id: string;
  received_at: number;
  signature: string | null;
  bytes: number;
  kept: boolean;
}

const nextOf = (batch: Candidate[], limit: number): PruneCursor | null => {
  const last = batch.at(-1);
  return batch.length < limit || last === undefined ? null : { receivedAt: last.received_at, seq: last.seq };
};

export async function pruneBodies(pool: pg.Pool, { before, limit, after, dryRun, now, rowsBefore = -1 }: PruneBatchOptions): Promise<PruneBodiesBatch> {
  const from = after ?? START;
  return transaction(pool, async (tx) => {
    const { rows: batch } = await tx.query<Candidate>(
      `SELECT d.seq, d.id, d.received_at, d.signature, octet_length(d.body)::bigint AS bytes,
         EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND t.status IN ('ready', 'running', 'dead'))
         OR (d.received_at < $5 AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND (t.status IN ('ready', 'running') OR t.updated_at >= $5))) AS kept
       FROM deliveries d
       WHERE d.body_pruned_at IS NULL AND d.received_at < $1 AND (d.received_at, d.seq) > ($2, $3)
       ORDER BY d.received_at, d.seq LIMIT $4`,
      [before, from.receivedAt, from.seq, limit, rowsBefore],
    );
    const prunable = batch.filter((d) => !d.kept);
    if (!dryRun && prunable.length > 0) {
      await tx.query("UPDATE deliveries SET body = ''::bytea, body_pruned_at = $1 WHERE seq = ANY($2::bigint[])", [now, prunable.map((d) => d.seq)]);
    }
    return { bodies: prunable.length, bytes: prunable.reduce((sum, d) => sum + d.bytes, 0), next: nextOf(batch, limit) };
  });
}

export async function pruneRows(pool: pg.Pool, { before, limit, after, dryRun }: PruneBatchOptions): Promise<PruneRowsBatch> {
  const from = after ?? START;
  return transaction(pool, async (tx) => {
    const { rows: batch } = await tx.query<Candidate>(
      `SELECT d.seq, d.id, d.received_at, d.signature, 0 AS bytes,
         EXISTS (SELECT 1 FROM tasks t WHERE t.delivery = d.id AND (t.status IN ('ready', 'running') OR t.updated_at >= $1)) AS kept
       FROM deliveries d
       WHERE d.received_at < $1 AND (d.received_at, d.seq) > ($2, $3)
       ORDER BY d.received_at, d.seq LIMIT $4`,
      [before, from.receivedAt, from.seq, limit],
    );
    let ids = batch.filter((d) => !d.kept).map((d) => d.id);
    if (!dryRun && ids.length > 0) {
      // Another instance may replay one of these tasks meanwhile: lock them, then look again.
      // A replay that comes after waits for this commit and finds no task left to re-queue.
      await tx.query("SELECT id FROM tasks WHERE delivery = ANY($1::text[]) ORDER BY id FOR UPDATE", [ids]);
      const { rows: busy } = await tx.query<{ delivery: string }>(
        "SELECT DISTINCT delivery FROM tasks WHERE delivery = ANY($1::text[]) AND (status IN ('ready', 'running') OR updated_at >= $2)",
        [ids, before],
      );
      const kept = new Set(busy.map((r) => r.delivery));
      ids = ids.filter((id) => !kept.has(id));
    }
    const result: PruneRowsBatch = { deliveries: ids.length, tasks: 0, attempts: 0, githubActions: 0, next: nextOf(batch, limit) };
    if (ids.length === 0) return result;
    const tasksOf = "SELECT id FROM tasks WHERE delivery = ANY($1::text[])";
    if (dryRun) {
      const { rows } = await tx.query<{ tasks: number; attempts: number; actions: number }>(
        `SELECT (SELECT COUNT(*) FROM tasks WHERE delivery = ANY($1::text[]))::int AS tasks,
                (SELECT COUNT(*) FROM attempts WHERE task IN (${tasksOf}))::int AS attempts,
                (SELECT COUNT(*) FROM github_actions WHERE task IN (${tasksOf}))::int AS actions`,
        [ids],
      );
      return { ...result, tasks: rows[0]?.tasks ?? 0, attempts: rows[0]?.attempts ?? 0, githubActions: rows[0]?.actions ?? 0 };
    }
    result.attempts = (await tx.query(`DELETE FROM attempts WHERE task IN (${tasksOf})`, [ids])).rowCount ?? 0;
    result.githubActions = (await tx.query(`DELETE FROM github_actions WHERE task IN (${tasksOf})`, [ids])).rowCount ?? 0;
    result.tasks = (await tx.query("DELETE FROM tasks WHERE delivery = ANY($1::text[])", [ids])).rowCount ?? 0;
    await tx.query(
      "DELETE FROM delivery_signatures s USING deliveries d WHERE d.id = ANY($1::text[]) AND s.signature = d.signature AND s.delivery = d.id",
      [ids],
    );
    await tx.query("DELETE FROM deliveries WHERE id = ANY($1::text[])", [ids]);
    return result;
  });
}

export async function pruneBookkeeping(pool: pg.Pool, { before, limit, dryRun }: PruneBookkeepingOptions): Promise<number> {
  const tables = [
    { table: "rejection_counters", column: "bucket_start_ms" },
    { table: "redeliveries", column: "asked_at" },
  ];
  let total = 0;
  for (const { table, column } of tables) {
    if (dryRun) {
      total += (await pool.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table} WHERE ${column} < $1`, [before])).rows[0]?.n ?? 0;
    } else if (total < limit) {
      total += (await pool.query(`DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT $2)`, [before, limit - total])).rowCount ?? 0;
    }
  }
  return total;
}
