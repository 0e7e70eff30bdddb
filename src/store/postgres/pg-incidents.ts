import type pg from "pg";
import { transaction } from "./pg-pool.js";

/**
 * Reads, changes and writes one incident document under its row lock (`FOR UPDATE`), in
 * one transaction: instances exchanging at the same moment take turns, each seeing what
 * the one before it wrote.
 */
export async function exchangeIncidentState<T>(pool: pg.Pool, name: string, now: number, change: (state: string | null) => { state: string; result: T }): Promise<T> {
  return transaction(pool, async (tx) => {
    await tx.query({ name: "sy_incident_row", text: "INSERT INTO security_incidents (name, state, updated_at) VALUES ($1, NULL, $2) ON CONFLICT (name) DO NOTHING", values: [name, now] });
    const row = (await tx.query<{ state: string | null }>({ name: "sy_incident_lock", text: "SELECT state FROM security_incidents WHERE name = $1 FOR UPDATE", values: [name] })).rows[0];
    const next = change(row?.state ?? null);
    await tx.query({ name: "sy_incident_write", text: "UPDATE security_incidents SET state = $2, updated_at = $3 WHERE name = $1", values: [name, next.state, now] });
    return next.result;
  });
}
