import { isFormBody, parseDeliveryBody } from "../events/parse-delivery-body.js";
import type { AttemptRecord, DeliveryRecord, DeliverySummary, TaskDetail, TaskRecord } from "../store/store.js";

/**
 * The store's records as the CLI and the admin API print them: snake_case fields and
 * ISO-8601 times, the JSON shapes docs/cli.md promises. The store itself
 * speaks camelCase and epoch milliseconds; this is the one place that translates.
 */

/** Epoch milliseconds → ISO-8601 (UTC), as every printed time is. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** One row of `tasks --json`. */
export function presentTaskRow(t: TaskRecord) {
  return {
    id: t.id,
    delivery: t.delivery,
    agent: t.agent,
    action: t.action,
    priority: t.priority,
    status: t.status,
    attempts: t.attempts,
    run_at: isoTime(t.runAt),
    last_error: t.lastError,
  };
}

/** A task with every stored field, as `GET /api/tasks` lists it. */
export function presentTask(t: TaskRecord) {
  return {
    id: t.id,
    delivery: t.delivery,
    rule: t.rule,
    agent: t.agent,
    action: t.action,
    priority: t.priority,
    idempotency_key: t.idempotencyKey,
    status: t.status,
    attempts: t.attempts,
    run_at: isoTime(t.runAt),
    last_error: t.lastError,
    created_at: isoTime(t.createdAt),
    updated_at: isoTime(t.updatedAt),
  };
}

export function presentAttempt(a: AttemptRecord) {
  return {
    task: a.task,
    n: a.n,
    started_at: isoTime(a.startedAt),
    finished_at: a.finishedAt === null ? null : isoTime(a.finishedAt),
    outcome: a.outcome,
    error: a.error,
    retry_delay_ms: a.retryDelayMs,
    output: a.output,
  };
}

/** A task with its attempts, as `GET /api/tasks/:id` answers. */
export function presentTaskDetail(t: TaskDetail) {
  return { ...presentTask(t), attempt_log: t.attemptLog.map(presentAttempt) };
}

/** One row of `deliveries --json` and `GET /api/deliveries`. */
export function presentDeliverySummary(d: DeliverySummary) {
  return {
    delivery: d.id,
    event: d.event,
    action: d.action,
    repository: d.repository,
    received_at: isoTime(d.receivedAt),
    status: d.status,
    tasks: d.tasks.map((t) => ({ id: t.id, agent: t.agent, status: t.status, attempts: t.attempts })),
  };
}

/** A delivery whole, as `GET /api/deliveries/:id` answers: the body as the JSON it is, not as bytes. */
export function presentDelivery(d: DeliveryRecord) {
  const parsed = parseDeliveryBody(d.body, isFormBody(d.body));
  return {
    delivery: d.id,
    event: d.event,
    action: d.action,
    repository: d.repository,
    received_at: isoTime(d.receivedAt),
    status: d.status,
    signature: d.signature,
    installation: d.installation,
    headers: d.headers,
    ack_ms: d.ackMs,
    tasks: d.tasks.map(presentTaskDetail),
    payload: typeof parsed === "string" ? null : parsed,
  };
}
