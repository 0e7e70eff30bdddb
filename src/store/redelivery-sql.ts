/**
 * Takes the next ask number of a guid while it has fewer than the limit, in one statement
 * shared by both adapters ($1 guid, $2 hook, $3 hook delivery id, $4 asked at, $5 guid
 * again, $6 the limit; CASTs, because PostgreSQL infers no type for a bare parameter in
 * a select list). Two instances taking the same number collide on the `(guid, n)`
 * key: one inserts, the other gets no row back and asks nothing.
 */
export const RESERVE_REDELIVERY_SQL = `INSERT INTO redeliveries (guid, n, hook, hook_delivery_id, asked_at)
  SELECT CAST($1 AS TEXT), COUNT(*) + 1, CAST($2 AS TEXT), CAST($3 AS BIGINT), CAST($4 AS BIGINT)
  FROM redeliveries WHERE guid = $5 HAVING COUNT(*) < $6
  ON CONFLICT DO NOTHING RETURNING n`;
