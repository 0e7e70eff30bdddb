import type { Database, Statement } from "better-sqlite3";
import type { DeliveryRecord, DeliverySummary, ListDeliveriesOptions, ListTasksOptions, TaskDetail, TaskRecord, TaskStatus } from "../store.js";
import {
  DELIVERY_COLUMNS,
  DELIVERY_SUMMARY_COLUMNS,
  NEWEST_DELIVERY_FIRST,
  TASK_COLUMNS,
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
}

type SummaryRow = DeliverySummaryRow;
const SUMMARY_COLUMNS = DELIVERY_SUMMARY_COLUMNS;

export function prepareQueries(db: Database): Queries {
  const delivery = db.prepare<[string], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.id = ?`);
  const tasksOfDelivery = db.prepare<[string], TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.delivery = ? ORDER BY t.id`);
  const taskSummaries = db.prepare<[string], TaskSummaryRow>("SELECT id, agent, status, attempts FROM tasks WHERE delivery = ? ORDER BY id");
  const attemptsOfTask = db.prepare<[number], AttemptRow>("SELECT * FROM attempts WHERE task = ? ORDER BY n");
  const task = db.prepare<[number], TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks t WHERE t.id = ?`);
  const recentDeliveries = db.prepare<[number], SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS}, d.seq FROM deliveries d ${NEWEST_DELIVERY_FIRST} LIMIT ?`,
  );
  const recentDeliveriesWithStatus = db.prepare<[string, number], SummaryRow>(
    `SELECT * FROM (SELECT ${SUMMARY_COLUMNS}, d.seq FROM deliveries d) x WHERE x.status = ? ${NEWEST_DELIVERY_FIRST} LIMIT ?`,
  );
  const deliveriesAbout = db.prepare<[string, number, number], SummaryRow>(
    `SELECT ${SUMMARY_COLUMNS}, d.seq FROM deliveries d WHERE d.repository = ? AND d.number = ? ${NEWEST_DELIVERY_FIRST} LIMIT ?`,
  );
  const nextRunAt = db.prepare<[], number | null>("SELECT MIN(run_at) FROM tasks WHERE status = 'ready'").pluck();

  // listTasks: one statement per combination of filters, prepared on first use, so each can
  // use its index instead of a catch-all `(? IS NULL OR …)`.
  const taskLists = new Map<string, Statement<unknown[], TaskRow>>();
  const taskList = (filters: readonly string[]): Statement<unknown[], TaskRow> => {
    const key = filters.join(",");
    let statement = taskLists.get(key);
    if (statement === undefined) {
      const where = filters.length === 0 ? "" : `WHERE ${filters.map((column) => `t.${column} = ?`).join(" AND ")}`;
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
    listDeliveries({ status, subject, limit }) {
      const rows = subject
        ? deliveriesAbout.all(subject.repository, subject.number, sqlLimit(limit)).filter((r) => status === undefined || r.status === status)
        : status === undefined
          ? recentDeliveries.all(sqlLimit(limit))
          : recentDeliveriesWithStatus.all(status, sqlLimit(limit));
      return rows.map(summarize);
    },
    getTask(id) {
      const row = task.get(id);
      return row === undefined ? null : withAttempts(row);
    },
    listTasks({ status, agent, delivery: deliveryId, limit }) {
      const filters: string[] = [];
      const values: (string | TaskStatus)[] = [];
      for (const [column, value] of [["status", status], ["agent", agent], ["delivery", deliveryId]] as const) {
        if (value === undefined) continue;
        filters.push(column);
        values.push(value);
      }
      return taskList(filters).all(...values, sqlLimit(limit)).map(toTaskRecord);
    },
    nextRunAt() {
      return nextRunAt.get() ?? null;
    },
  };
}
