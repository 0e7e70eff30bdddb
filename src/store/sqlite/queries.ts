import type { Database, Statement } from "better-sqlite3";
import type { DeliveryFilterColumn, DeliveryRecord, DeliveryStatus, DeliverySummary, ListDeliveriesOptions, ListTasksOptions, TaskDetail, TaskRecord, TaskStatus } from "../store.js";
import { deliveryFilters } from "../store.js";
import { SQLITE_DIALECT } from "../migrations/index.js";
import {
  DELIVERY_COLUMNS,
  DELIVERY_SUMMARY_COLUMNS,
  NEWEST_DELIVERY_FIRST,
  TASK_COLUMNS,
  deliveryFilterSql,
  deliveryStatusCandidatesSql,
  listedAfterSql,
  sqlLimit,
  toAttemptRecord,
  toDeliveryRecord,
  toDeliverySummary,
  toTaskRecord,
} from "../rows.js";
import type { AttemptRow, DeliveryRow, DeliverySummaryRow, TaskRow, TaskSummaryRow } from "../rows.js";

/** The store's reads. They run directly on the connection: they see what has committed. */
export interface Queries {
  getDelivery(id: string): DeliveryRecord | null;
  listDeliveries(options: ListDeliveriesOptions): DeliverySummary[];
  getTask(id: number): TaskDetail | null;
  listTasks(options: ListTasksOptions): TaskRecord[];
  nextRunAt(): number | null;
  waitingAgents(): string[];
}

type SummaryRow = DeliverySummaryRow;
const SUMMARY_COLUMNS = DELIVERY_SUMMARY_COLUMNS;

export function prepareQueries(db: Database): Queries {
  const delivery = db.prepare<[string], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = ?`);
  const tasksOfDelivery = db.prepare<[string], TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.delivery = ? ORDER BY t.id`);
  const taskSummaries = db.prepare<[string], TaskSummaryRow>("SELECT id, agent, status, attempts FROM tasks WHERE delivery = ? ORDER BY id");
  const attemptsOfTask = db.prepare<[number], AttemptRow>("SELECT * FROM attempts WHERE task = ? ORDER BY n");
  const task = db.prepare<[number], TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = ?`);
  // listDeliveries: one statement per combination of filters, as listTasks below. The status
  // is derived from the tasks, so it filters the summaries, before the limit.
  const deliveryLists = new Map<string, Statement<unknown[], SummaryRow>>();
  const deliveryList = (columns: readonly DeliveryFilterColumn[], withBefore: boolean, status: DeliveryStatus | undefined): Statement<unknown[], SummaryRow> => {
    const withStatus = status !== undefined;
    const candidates = deliveryStatusCandidatesSql(status);
    const key = `${columns.join(",")}${withBefore ? "+before" : ""}${withStatus ? `+status${candidates === null ? "" : `:${status}`}` : ""}`;
    let statement = deliveryLists.get(key);
    if (statement === undefined) {
      const conditions = [...columns.map((column) => deliveryFilterSql(column, "?", SQLITE_DIALECT)), ...(withBefore ? [listedAfterSql("?")] : []), ...(candidates === null ? [] : [candidates])];
      const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
      const inner = `SELECT ${SUMMARY_COLUMNS}, d.seq FROM deliveries d ${where}`;
      statement = db.prepare<unknown[], SummaryRow>(withStatus ? `SELECT * FROM (${inner}) x WHERE x.status = ? ${NEWEST_DELIVERY_FIRST} LIMIT ?` : `${inner} ${NEWEST_DELIVERY_FIRST} LIMIT ?`);
      deliveryLists.set(key, statement);
    }
    return statement;
  };
  const nextRunAt = db.prepare<[], number | null>("SELECT MIN(run_at) FROM tasks WHERE status = 'ready'").pluck();
  const waitingAgents = db.prepare<[], string>("SELECT DISTINCT agent FROM tasks WHERE status = 'ready' ORDER BY agent").pluck();

  // listTasks: one statement per combination of filters, prepared on first use, so each can
  // use its index instead of a catch-all `(? IS NULL OR …)`.
  const taskLists = new Map<string, Statement<unknown[], TaskRow>>();
  const taskList = (filters: readonly string[], withBefore: boolean): Statement<unknown[], TaskRow> => {
    const key = `${filters.join(",")}${withBefore ? "+before" : ""}`;
    let statement = taskLists.get(key);
    if (statement === undefined) {
      const conditions = [...filters.map((column) => `t.${column} = ?`), ...(withBefore ? ["t.id < ?"] : [])];
      const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
      statement = db.prepare<unknown[], TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t ${where} ORDER BY t.id DESC LIMIT ?`);
      taskLists.set(key, statement);
    }
    return statement;
  };

  const withAttempts = (row: TaskRow): TaskDetail => ({
    ...toTaskRecord(row),
    attemptLog: attemptsOfTask.all(row.id).map(toAttemptRecord),
  });

  const summarize = (row: SummaryRow): DeliverySummary => toDeliverySummary(row, taskSummaries.all(row.id));

  return {
    getDelivery(id) {
      const row = delivery.get(id);
      return row === undefined ? null : toDeliveryRecord(row, tasksOfDelivery.all(id).map(withAttempts));
    },
    listDeliveries(options) {
      const filters = deliveryFilters(options);
      const { before, status } = options;
      const values = [...filters.map(([, value]) => value), ...(before === undefined ? [] : [before]), ...(status === undefined ? [] : [status]), sqlLimit(options.limit)];
      return deliveryList(filters.map(([column]) => column), before !== undefined, status).all(...values).map(summarize);
    },
    getTask(id) {
      const row = task.get(id);
      return row === undefined ? null : withAttempts(row);
    },
    listTasks({ status, agent, delivery: deliveryId, before, limit }) {
      const filters: string[] = [];
      const values: (string | number | TaskStatus)[] = [];
      for (const [column, value] of [["status", status], ["agent", agent], ["delivery", deliveryId]] as const) {
        if (value === undefined) continue;
        filters.push(column);
        values.push(value);
      }
      if (before !== undefined) values.push(Number(before));
      return taskList(filters, before !== undefined).all(...values, sqlLimit(limit)).map(toTaskRecord);
    },
    nextRunAt() {
      return nextRunAt.get() ?? null;
    },
    waitingAgents() {
      return waitingAgents.all();
    },
  };
}
