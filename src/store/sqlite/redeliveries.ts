import type { Database } from "better-sqlite3";
import type { RedeliveryAnswer, RedeliveryAsk, RedeliveryCounts, RedeliveryHistory } from "../redelivery-records.js";
import { HISTORY_COLUMNS, RESERVE_REDELIVERY_SQL } from "../redelivery-sql.js";

export interface RedeliveryOps {
  /** Reads, run directly on the connection. */
  knownDeliveries(ids: readonly string[]): Set<string>;
  readRedeliveries(guids: readonly string[]): Map<string, RedeliveryHistory>;
  countRedeliveries(since: number): RedeliveryCounts;
  /** Writes: run them inside the group-commit writer. */
  reserve(ask: RedeliveryAsk, maxAsks: number): number | null;
  answer(guid: string, n: number, answer: RedeliveryAnswer): void;
}

/** The statements behind the missed-delivery sweep; id lists are bound as one JSON array. */
export function prepareRedeliveries(db: Database): RedeliveryOps {
  const known = db.prepare<[string], string>("SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(?))").pluck();
  const history = db.prepare<[string], { guid: string; asks: number; last: number; last_status: number | null }>(
    `SELECT ${HISTORY_COLUMNS} FROM redeliveries WHERE guid IN (SELECT value FROM json_each(?)) GROUP BY guid`,
  );
  const counts = db.prepare<[number], RedeliveryCounts>(
    "SELECT COUNT(DISTINCT r.guid) AS asked, COUNT(DISTINCT d.id) AS recovered FROM redeliveries r LEFT JOIN deliveries d ON d.id = r.guid WHERE r.asked_at >= ?",
  );
  const reserve = db.prepare<[string, string, number, number, string, number], number>(RESERVE_REDELIVERY_SQL.replace(/\$\d+/g, "?")).pluck();
  const answer = db.prepare("UPDATE redeliveries SET status = ?, error = ? WHERE guid = ? AND n = ?");

  return {
    knownDeliveries: (ids) => new Set(ids.length === 0 ? [] : known.all(JSON.stringify(ids))),
    readRedeliveries: (guids) =>
      new Map(guids.length === 0 ? [] : history.all(JSON.stringify(guids)).map((r) => [r.guid, { asks: r.asks, lastAskedAt: r.last, lastStatus: r.last_status }])),
    countRedeliveries: (since) => counts.get(since) ?? { asked: 0, recovered: 0 },
    reserve: (ask, maxAsks) => reserve.get(ask.guid, ask.hook, ask.hookDeliveryId, ask.askedAt, ask.guid, maxAsks) ?? null,
    answer: (guid, n, { status, error }) => void answer.run(status, error, guid, n),
  };
}
