import type pg from "pg";
import type { HookLockRelease, RedeliveryAnswer, RedeliveryAsk, RedeliveryCounts, RedeliveryHistory } from "../redelivery-records.js";
import { HISTORY_COLUMNS, RESERVE_REDELIVERY_SQL } from "../redelivery-sql.js";

// The first key of the two-key advisory lock: every switchyard sweep lock ("SWRE"); the second is the hook's hash.
const SWEEP_LOCK = 0x5357_5245;

export async function knownDeliveries(pool: pg.Pool, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM deliveries WHERE id = ANY($1::text[])", [ids]);
  return new Set(rows.map((r) => r.id));
}

export async function readRedeliveries(pool: pg.Pool, guids: readonly string[]): Promise<Map<string, RedeliveryHistory>> {
  if (guids.length === 0) return new Map();
  const { rows } = await pool.query<{ guid: string; asks: number; last: number; last_status: number | null }>(
    `SELECT ${HISTORY_COLUMNS} FROM redeliveries WHERE guid = ANY($1::text[]) GROUP BY guid`,
    [guids],
  );
  // SUM is a bigint in PostgreSQL: pg hands it over as a string.
  return new Map(rows.map((r) => [r.guid, { asks: Number(r.asks), lastAskedAt: Number(r.last), lastStatus: r.last_status === null ? null : Number(r.last_status) }]));
}

export async function reserveRedelivery(pool: pg.Pool, ask: RedeliveryAsk, maxAsks: number): Promise<number | null> {
  const { rows } = await pool.query<{ n: number }>(RESERVE_REDELIVERY_SQL, [ask.guid, ask.hook, ask.hookDeliveryId, ask.askedAt, ask.guid, maxAsks]);
  return rows[0]?.n ?? null;
}

export async function recordRedeliveryAnswer(pool: pg.Pool, guid: string, n: number, { status, error }: RedeliveryAnswer): Promise<void> {
  await pool.query("UPDATE redeliveries SET status = $1, error = $2 WHERE guid = $3 AND n = $4", [status, error, guid, n]);
}

export async function countRedeliveries(pool: pg.Pool, since: number): Promise<RedeliveryCounts> {
  const { rows } = await pool.query<RedeliveryCounts>(
    "SELECT COUNT(DISTINCT r.guid)::int AS asked, COUNT(DISTINCT d.id)::int AS recovered FROM redeliveries r LEFT JOIN deliveries d ON d.id = r.guid WHERE r.asked_at >= $1",
    [since],
  );
  return rows[0] ?? { asked: 0, recovered: 0 };
}

/**
 * One sweep per hook across every instance: a session advisory lock, held on a connection
 * of its own for as long as the sweep runs (it pages and paces for minutes, far longer than
 * a transaction should stay open). Null when another session holds it. The connection is
 * destroyed if the unlock fails, which ends the lock with the session.
 */
export async function lockRecoveryHook(pool: pg.Pool, hook: string): Promise<HookLockRelease | null> {
  const client = await pool.connect();
  let taken = false;
  try {
    const { rows } = await client.query<{ taken: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS taken", [SWEEP_LOCK, hook]);
    taken = rows[0]?.taken === true;
  } finally {
    if (!taken) client.release();
  }
  if (!taken) return null;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      await client.query("SELECT pg_advisory_unlock($1, hashtext($2))", [SWEEP_LOCK, hook]);
      client.release();
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
    }
  };
}
