import type { SqlDialect } from "./migrations/index.js";
import { NEWEST_DELIVERY_FIRST, deliveryFilterSql } from "./rows.js";

/**
 * `listSubjectGithubActions` as one statement shared by both adapters ($1 repository, $2
 * number, $3 deliveries, $4 tasks per delivery, $5 writes per task, each used once and in
 * order, so SQLite binds them as plain `?`). The deliveries are chosen as listDeliveries
 * chooses them, through the same `deliveries_subject` index; each task's writes are ranked
 * by id, the order they were recorded in, whatever the clocks of the instances said.
 *
 * @example
 * db.prepare(subjectGithubActionsSql(SQLITE_DIALECT).replace(/\$\d+/g, "?")).all("octo/a", 7, 20, 50, 100);
 */
export function subjectGithubActionsSql(dialect: SqlDialect): string {
  return `WITH recent AS (
  SELECT d.id FROM deliveries d
  WHERE ${deliveryFilterSql("repository", "$1", dialect)} AND ${deliveryFilterSql("number", "$2", dialect)}
  ${NEWEST_DELIVERY_FIRST} LIMIT $3
), ranked_tasks AS (
  SELECT t.id, ROW_NUMBER() OVER (PARTITION BY t.delivery ORDER BY t.id DESC) AS n
  FROM tasks t WHERE t.delivery IN (SELECT id FROM recent)
), ranked AS (
  SELECT g.*, ROW_NUMBER() OVER (PARTITION BY g.task ORDER BY g.id DESC) AS n
  FROM github_actions g WHERE g.task IN (SELECT id FROM ranked_tasks WHERE n <= $4)
)
SELECT id, agent, task, method, route, body, dry_run, at FROM ranked WHERE n <= $5 ORDER BY id DESC`;
}

/**
 * A bound of that statement as both databases take it: a count, with Infinity (no bound)
 * as the largest integer a JavaScript number holds exactly, since a rank has no "-1" or
 * NULL for "all".
 */
export function subjectBound(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
}
