import { normalizeEvent } from "../events/normalize-event.js";
import { deliveryJsonText, isFormBody, parseJsonObject } from "../events/parse-delivery-body.js";
import { afterTaskFailures } from "../queue/after-task-error.js";
import { ignoredReason } from "../routing/decide.js";
import type { AttemptRecord, DeliveryRecord, DeliverySummary, GithubActionRecord, TaskDetail, TaskRecord } from "../store/store.js";
import { checkedPayloadText, RawJson } from "./raw-json.js";

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

/** One attempt; `agent` is the agent that ran it (null when opened before migration 8). */
export function presentAttempt(a: AttemptRecord) {
  return {
    task: a.task,
    n: a.n,
    agent: a.agent,
    started_at: isoTime(a.startedAt),
    finished_at: a.finishedAt === null ? null : isoTime(a.finishedAt),
    outcome: a.outcome,
    error: a.error,
    retry_delay_ms: a.retryDelayMs,
    output: a.output,
  };
}

/**
 * A recorded GitHub write as people read it: the route with its `{placeholders}` filled
 * from the request's parameters, and the body without the parameters the route used.
 *
 * @example
 * presentGithubWrite({ method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/labels", body: { owner: "octo", repo: "hello", issue_number: 7, labels: ["bug"] }, … })
 * // → { method: "POST", route: "/repos/octo/hello/issues/7/labels", body: { labels: ["bug"] }, … }
 */
export function presentGithubWrite(w: GithubActionRecord & { id?: string }) {
  const params = w.body !== null && typeof w.body === "object" && !Array.isArray(w.body) ? { ...(w.body as Record<string, unknown>) } : null;
  let route = w.route;
  if (params) {
    route = w.route.replace(/\{(\w+)\}/g, (whole, name: string) => {
      if (!(name in params)) return whole;
      const value = params[name];
      delete params[name];
      return encodeURIComponent(String(value));
    });
  }
  return {
    ...(w.id === undefined ? {} : { id: w.id }),
    agent: w.agent,
    task: w.task,
    method: w.method,
    route,
    body: params ?? w.body ?? null,
    dry_run: w.dryRun,
    at: isoTime(w.at),
  };
}

/** What a task did on GitHub, oldest first; the store lists newest first. */
export type TaskWrites = readonly (GithubActionRecord & { id: string })[];

/** An attempt error that starts with the call that failed, when that call may write: "POST /repos/o/r/issues/1/labels: HTTP 403 …". */
const FAILED_WRITE = /^(POST|PUT|PATCH|DELETE) (\/\S*): /;

/** A write GitHub refused or never answered, with the attempt whose `error` or `output` says why. */
export interface FailedWrite {
  method: string;
  route: string;
  attempt: number;
  see: "error" | "output";
}

/**
 * The calls that may write on which a task's attempts failed: the agent's (its error) or the
 * routing comment's after it (a note in its output). Only the writes GitHub accepted are
 * recorded, so without these a refused write would not show beside them, and a task whose
 * only write was refused would read as if it never tried.
 *
 * @example failedWrites([{ n: 1, error: "POST /repos/o/r/issues/1/labels: HTTP 403 …", output: null }])
 * // [{ method: "POST", route: "/repos/o/r/issues/1/labels", attempt: 1, see: "error" }]
 */
export function failedWrites(attempts: readonly Pick<AttemptRecord, "n" | "error" | "output">[]): FailedWrite[] {
  return attempts.flatMap((a) => {
    const calls = [
      { call: a.error?.match(FAILED_WRITE), see: "error" as const },
      ...afterTaskFailures(a.output).map((line) => ({ call: line.match(FAILED_WRITE), see: "output" as const })),
    ];
    return calls.flatMap(({ call, see }) => (call ? [{ method: call[1]!, route: call[2]!, attempt: a.n, see }] : []));
  });
}

/** A task with its attempts and GitHub writes, as `tasks show` and `GET /api/tasks/:id` answer. */
export function presentTaskDetail(t: TaskDetail, writes: TaskWrites = []) {
  return { ...presentTask(t), attempt_log: t.attemptLog.map(presentAttempt), github_writes: writes.map(presentGithubWrite), failed_writes: failedWrites(t.attemptLog) };
}

/**
 * The routing decision a delivery's tasks record: the first task's rule won (tasks are
 * stored in the order the rules decided); null when no rule matched.
 */
function storedDecision(tasks: readonly TaskRecord[]) {
  const first = tasks[0];
  return first ? { rule: first.rule, agent: first.agent, priority: first.priority, action: first.action } : null;
}

/**
 * Why a delivery without tasks routed nowhere when switchyard ignores it: a comment carrying
 * its marker ("own-event"), or a bot's comment or label ("bot-sender"); null otherwise. Read
 * from the stored payload: a comment by switchyard's own login without the marker (its
 * login is known only to a running server) reads as null, "no rule matched".
 */
function storedIgnored(d: DeliveryRecord): "own-event" | "bot-sender" | null {
  // Only comments and labels are ignored (ignoredReason): no other payload is read for it.
  if (d.tasks.length > 0 || !(d.event === "issue_comment" || d.event === "discussion_comment" || d.action === "labeled")) return null;
  const text = d.payloadText !== undefined ? d.payloadText : deliveryJsonText(d.body, isFormBody(d.body));
  const payload = text === null ? null : parseJsonObject(text);
  if (payload === null || typeof payload === "string") return null;
  return ignoredReason(normalizeEvent(d.event, payload)) ?? null;
}

/** One row of `deliveries --json` and `GET /api/deliveries`. */
export function presentDeliverySummary(d: DeliverySummary) {
  return {
    delivery: d.id,
    event: d.event,
    action: d.action,
    repository: d.repository,
    received_at: isoTime(d.receivedAt),
    ack_ms: d.ackMs,
    status: d.status,
    tasks: d.tasks.map((t) => ({ id: t.id, agent: t.agent, status: t.status, attempts: t.attempts })),
  };
}

/** The payload to splice into a document: see checkedPayloadText (done already when the store read it so). */
function storedPayload(d: DeliveryRecord): RawJson | null {
  const text = d.payloadText !== undefined ? d.payloadText : checkedPayloadText(d.body);
  return text === null ? null : new RawJson(text);
}

/**
 * A delivery whole, as `deliveries show` and `GET /api/deliveries/:id` answer: the body as
 * the JSON it is (not as bytes), every task with its attempts and GitHub writes. Print it
 * with stringifyDelivery.
 */
export function presentDelivery(d: DeliveryRecord, writes: ReadonlyMap<string, TaskWrites> = new Map(), options: { payload?: boolean } = {}) {
  const { tasks: _summaries, ...head } = presentDeliverySummary({ ...d, tasks: [] });
  const document = {
    ...head,
    signature: d.signature,
    installation: d.installation,
    headers: d.headers,
    ack_ms: d.ackMs,
    decision: storedDecision(d.tasks),
    ignored: storedIgnored(d),
    tasks: d.tasks.map((t) => presentTaskDetail(t, writes.get(t.id))),
    // Set when retention emptied the body: the payload is null then, and that is why.
    body_pruned_at: d.bodyPrunedAt === null ? null : isoTime(d.bodyPrunedAt),
    // Last, where stringifyDelivery puts it too.
    // Without it (a page refreshing what it has drawn), the body is neither parsed nor sent.
    payload: options.payload === false ? undefined : storedPayload(d),
  };
  if (document.payload === undefined) delete document.payload;
  return document;
}

/**
 * A delivery document as one line of JSON, its payload's text spliced in as stored: any
 * body ingest accepted prints, however deep (JSON.stringify overflows the stack some
 * thousands of levels down), and no CPU goes to encoding a large payload again. A compact
 * body (GitHub sends compact JSON) prints exactly as JSON.stringify would print it.
 */
export function stringifyDelivery(d: ReturnType<typeof presentDelivery>): string {
  const { payload, ...rest } = d;
  if (payload === undefined) return JSON.stringify(rest);
  // rest is never empty, so its text ends with the `}` that the payload goes before.
  return `${JSON.stringify(rest).slice(0, -1)},"payload":${payload === null ? "null" : payload.text}}`;
}
