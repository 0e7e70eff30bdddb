import type pg from "pg";
import type { AttemptRecord, DeliveryRecord, DeliverySummary, GithubActionRecord, ListDeliveriesOptions, ListTasksOptions, SubjectGithubActionsOptions, TaskDetail, TaskRecord } from "../store.js";
import { deliveryFilters } from "../store.js";
import { POSTGRES_DIALECT } from "../migrations/index.js";
import {
  DELIVERY_COLUMNS,
  DELIVERY_SUMMARY_COLUMNS,
  NEWEST_DELIVERY_FIRST,
  TASK_COLUMNS,
  deliveryFilterSql,
  deliveryStatusCandidatesSql,
  listedAfterSql,
  toAttemptRecord,
  toDeliveryRecord,
  toDeliverySummary,
  toGithubActionRecord,
  toTaskRecord,
  type AttemptRow,
  type DeliveryRow,
  type DeliverySummaryRow,
  type GithubActionRow,
  type TaskRow,
} from "../rows.js";
import { subjectBound, subjectGithubActionsSql } from "../subject-actions-sql.js";
import { pgLimit } from "./pg-pool.js";

/** The store's reads on PostgreSQL: the same statements as SQLite's, with `$n` parameters. */


async function attemptsOf(pool: pg.Pool, taskId: number): Promise<AttemptRecord[]> {
  return (await pool.query<AttemptRow>("SELECT * FROM attempts WHERE task = $1 ORDER BY n", [taskId])).rows.map(toAttemptRecord);
}

async function withAttempts(pool: pg.Pool, row: TaskRow): Promise<TaskDetail> {
  return { ...toTaskRecord(row), attemptLog: await attemptsOf(pool, row.id) };
}

export async function getDelivery(pool: pg.Pool, id: string): Promise<DeliveryRecord | null> {
  const row = (await pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = $1`, [id])).rows[0];
  if (row === undefined) return null;
  const tasks = (await pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.delivery = $1 ORDER BY t.id`, [id])).rows;
  return toDeliveryRecord(row, await Promise.all(tasks.map((t) => withAttempts(pool, t))));
}

export async function listDeliveries(pool: pg.Pool, options: ListDeliveriesOptions): Promise<DeliverySummary[]> {
  const filters = deliveryFilters(options);
  const values: unknown[] = filters.map(([, value]) => value);
  const conditions = filters.map(([column], i) => deliveryFilterSql(column, `$${i + 1}`, POSTGRES_DIALECT));
  if (options.before !== undefined) {
    values.push(options.before);
    conditions.push(listedAfterSql(`$${values.length}`));
  }
  const candidates = deliveryStatusCandidatesSql(options.status);
  if (candidates !== null) conditions.push(candidates);
  const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
  const inner = `SELECT ${DELIVERY_SUMMARY_COLUMNS}, d.seq FROM deliveries d ${where}`;
  let sql = `${inner} ${NEWEST_DELIVERY_FIRST}`;
  if (options.status !== undefined) {
    values.push(options.status);
    sql = `SELECT * FROM (${inner}) x WHERE x.status = $${values.length} ${NEWEST_DELIVERY_FIRST}`;
  }
  values.push(pgLimit(options.limit));
  const rows = (await pool.query<DeliverySummaryRow>(`${sql} LIMIT $${values.length}`, values)).rows;
  if (rows.length === 0) return [];
  const tasks = (await pool.query<Pick<TaskRow, "id" | "delivery" | "agent" | "status" | "attempts">>(
    "SELECT id, delivery, agent, status, attempts FROM tasks WHERE delivery = ANY($1::text[]) ORDER BY id",
    [rows.map((r) => r.id)],
  )).rows;
  // Grouped once: a filter per row was quadratic, seconds of the serving thread for a long list.
  const byDelivery = new Map<string, typeof tasks>();
  for (const task of tasks) {
    const list = byDelivery.get(task.delivery);
    if (list === undefined) byDelivery.set(task.delivery, [task]);
    else list.push(task);
  }
  return rows.map((row) => toDeliverySummary(row, byDelivery.get(row.id) ?? []));
}

export async function getTask(pool: pg.Pool, id: number): Promise<TaskDetail | null> {
  const row = (await pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = $1`, [id])).rows[0];
  return row === undefined ? null : withAttempts(pool, row);
}

export async function listTasks(pool: pg.Pool, { status, agent, delivery, before, limit }: ListTasksOptions): Promise<TaskRecord[]> {
  const filters: string[] = [];
  const values: unknown[] = [];
  for (const [column, value] of [["status", status], ["agent", agent], ["delivery", delivery]] as const) {
    if (value === undefined) continue;
    values.push(value);
    filters.push(`t.${column} = $${values.length}`);
  }
  if (before !== undefined) {
    values.push(Number(before));
    filters.push(`t.id < $${values.length}`);
  }
  values.push(pgLimit(limit));
  const where = filters.length === 0 ? "" : `WHERE ${filters.join(" AND ")}`;
  return (await pool.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t ${where} ORDER BY t.id DESC LIMIT $${values.length}`, values)).rows.map(toTaskRecord);
}

export async function nextRunAt(pool: pg.Pool): Promise<number | null> {
  const row = (await pool.query<{ next: number | null }>({ name: "sy_next_run_at", text: "SELECT MIN(run_at) AS next FROM tasks WHERE status = 'ready'" })).rows[0];
  return row?.next ?? null;
}

export async function waitingAgents(pool: pg.Pool): Promise<string[]> {
  return (await pool.query<{ agent: string }>({ name: "sy_waiting_agents", text: "SELECT DISTINCT agent FROM tasks WHERE status = 'ready' ORDER BY agent" })).rows.map((r) => r.agent);
}

export async function listGithubActions(pool: pg.Pool, { task, limit }: { task?: number; limit: number }): Promise<(GithubActionRecord & { id: string })[]> {
  const rows =
    task === undefined
      ? (await pool.query<GithubActionRow>("SELECT * FROM github_actions ORDER BY id DESC LIMIT $1", [pgLimit(limit)])).rows
      : (await pool.query<GithubActionRow>("SELECT * FROM github_actions WHERE task = $1 ORDER BY id DESC LIMIT $2", [task, pgLimit(limit)])).rows;
  return rows.map(toGithubActionRecord);
}

const SUBJECT_GITHUB_ACTIONS_SQL = subjectGithubActionsSql(POSTGRES_DIALECT);

export async function listSubjectGithubActions(pool: pg.Pool, { subject, deliveries, tasksPerDelivery, perTask }: SubjectGithubActionsOptions): Promise<(GithubActionRecord & { id: string })[]> {
  const values = [subject.repository, subject.number, subjectBound(deliveries), subjectBound(tasksPerDelivery), subjectBound(perTask)];
  return (await pool.query<GithubActionRow>(SUBJECT_GITHUB_ACTIONS_SQL, values)).rows.map(toGithubActionRecord);
}
