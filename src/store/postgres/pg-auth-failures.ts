import type pg from "pg";
import type { AuthFailures } from "../store.js";

let calls = 0;
// Rows of sources that stopped failing are swept now and then, not on every failure.
const SWEEP_EVERY = 256;

/**
 * Records one failed signature check and answers the source's failures within the window
 * across every instance (at most `max + 1` counted, which is all the limiter needs).
 */
export async function recordAuthFailure(pool: pg.Pool, source: string, now: number, { windowMs, max }: { windowMs: number; max: number }): Promise<AuthFailures> {
  const cutoff = now - windowMs;
  await pool.query({ name: "sy_auth_failure", text: "INSERT INTO auth_failures (source, at) VALUES ($1, $2)", values: [source, now] });
  if (++calls % SWEEP_EVERY === 0) await pool.query("DELETE FROM auth_failures WHERE at <= $1", [cutoff]);
  else await pool.query({ name: "sy_auth_prune", text: "DELETE FROM auth_failures WHERE source = $1 AND at <= $2", values: [source, cutoff] });
  const row = (await pool.query<{ count: number; oldest: number | null }>({
    name: "sy_auth_count",
    text: "SELECT COUNT(*) AS count, MIN(at) AS oldest FROM (SELECT at FROM auth_failures WHERE source = $1 AND at > $2 ORDER BY at DESC LIMIT $3) recent",
    values: [source, cutoff, max + 1],
  })).rows[0];
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}
