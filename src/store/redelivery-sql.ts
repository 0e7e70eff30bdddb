/**
 * Whether an ask counts toward a guid's limit: GitHub took it (or its answer is not in yet:
 * in flight, or the process stopped meanwhile), or GitHub refused this delivery itself (a
 * 4xx: too old, gone). An ask that met an outage — no answer, a 5xx, a rate limit — does not:
 * the next sweep asks again, as its message says, until GitHub answers.
 */
export const COUNTED_ASK = countedAsk("");

/** COUNTED_ASK of the row named `table` (`latest.`), for a subquery beside the outer one. */
function countedAsk(table: string): string {
  return `(${table}error IS NULL OR (${table}status >= 400 AND ${table}status < 500 AND ${table}status <> 429))`;
}

/** Every ask a guid may have, counted or not: an outage as long as the lookback asks no more than this. */
export const MAX_ASK_ROWS = 30;

/**
 * Takes the next ask number of a guid while its counted asks are fewer than the limit, in
 * one statement shared by both adapters ($1 guid, $2 hook, $3 hook delivery id, $4 asked
 * at, $5 guid again, $6 the limit; CASTs, because PostgreSQL infers no type for a bare
 * parameter in a select list). Two instances taking the same number collide on the
 * `(guid, n)` key: one inserts, the other gets no row back and asks nothing.
 */
export const RESERVE_REDELIVERY_SQL = `INSERT INTO redeliveries (guid, n, hook, hook_delivery_id, asked_at)
  SELECT CAST($1 AS TEXT), COALESCE(MAX(n), 0) + 1, CAST($2 AS TEXT), CAST($3 AS BIGINT), CAST($4 AS BIGINT)
  FROM redeliveries WHERE guid = $5
  HAVING COALESCE(SUM(CASE WHEN ${COUNTED_ASK} THEN 1 ELSE 0 END), 0) < $6 AND COUNT(*) < ${MAX_ASK_ROWS}
  ON CONFLICT DO NOTHING RETURNING n`;

/** A guid's asks as the sweep plans with them: `asks` counts only those that count toward the limit. */
export const HISTORY_COLUMNS = `guid, SUM(CASE WHEN ${COUNTED_ASK} THEN 1 ELSE 0 END) AS asks, MAX(asked_at) AS last,
  (SELECT latest.status FROM redeliveries latest WHERE latest.guid = redeliveries.guid AND ${countedAsk("latest.")} ORDER BY latest.n DESC LIMIT 1) AS last_status`;
