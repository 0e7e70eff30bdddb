import type { Database, Statement } from "better-sqlite3";
import type {
  AttemptRecord,
  DeliveryRecord,
  DeliverySummary,
  ListDeliveriesOptions,
  ListTasksOptions,
  TaskRecord,
  TaskStatus,
} from "../store.js";
import { DELIVERY_STATUS_SQL, TASK_COLUMNS, isoTime, sqlLimit, toAttemptRecord, toTaskRecord } from "../rows.js";
import type { AttemptRow, DeliveryRow, TaskRow } from "../rows.js";

/** The store's reads. They run directly on the connection: they see what has committed. */
export interface Queries {
  getDelivery(id: string): DeliveryRecord | null;
  listDeliveries(options: ListDeliveriesOptions): DeliverySummary[];
  getTask(id: number): (TaskRecord & { attempt_log: AttemptRecord[] }) | null;
  listTasks(options: ListTasksOptions): TaskRecord[];
  nextRunAt(): number | null;
}

type SummaryRow = Pick<DeliveryRow, "id" | "event" | "action" | "repository" | "received_at" | "status">;
type TaskSummaryRow = Pick<TaskRow, "id" | "agent" | "status" | "attempts">;

const SUMMARY_COLUMNS = `d.id, d.event, d.action, d.repository, d.received_at, ${DELIVERY_STATUS_SQL} AS status`;
// Newest first; seq orders deliveries received in the same millisecond.
const NEWEST_DELIVERY_FIRST = "ORDER BY received_at DESC, seq DESC";

export function prepareQueries(db: Database): Queries {
  const delivery = db.prepare<[string], DeliveryRow>(
    `SELECT d.id, d.signature, d.event, d.action, d.repository, d.installation, d.headers, d.body, d.received_at, d.ack_ms,
       ${DELIVERY_STATUS_SQL} AS status
     FROM deliveries d WHERE d.id = ?`,
  );
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

  const withAttempts = (row: TaskRow): TaskRecord & { attempt_log: AttemptRecord[] } => ({
    ...toTaskRecord(row),
    attempt_log: attemptsOfTask.all(row.id).map(toAttemptRecord),
  });

  const head = (row: SummaryRow): Omit<DeliverySummary, "tasks"> => ({
    delivery: row.id,
    event: row.event,
    action: row.action,
    repository: row.repository,
    received_at: isoTime(row.received_at),
    status: row.status,
  });

  const summarize = (row: SummaryRow): DeliverySummary => ({
    ...head(row),
    tasks: taskSummaries.all(row.id).map((t) => ({ id: String(t.id), agent: t.agent, status: t.status, attempts: t.attempts })),
  });

  return {
    getDelivery(id) {
      const row = delivery.get(id);
      if (row === undefined) return null;
      return {
        ...head(row),
        signature: row.signature,
        installation: row.installation,
        headers: JSON.parse(row.headers) as Record<string, string>,
        body: row.body,
        ack_ms: row.ack_ms,
        tasks: tasksOfDelivery.all(id).map(withAttempts),
      };
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
